"""The small demo directory loaded by `appliance init --demo`."""

from __future__ import annotations

from appliance.accounts import AccountExists, Accounts
from appliance.passwords import generate_password

# (local part, display name, kind); addresses follow the city's naming rules.
DEMO_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("skhcn", "Sở Khoa học và Công nghệ", "agency"),
    ("vp.skhcn", "Văn phòng Sở Khoa học và Công nghệ", "agency"),
    ("nvan.skhcn", "Nguyễn Văn An", "personal"),
    ("tntha.skhcn", "Tôn Nữ Thị Hà", "personal"),
    ("admin.skhcn", "Quản trị CNTT Sở Khoa học và Công nghệ", "unit_admin"),
    ("vyda", "Ủy ban nhân dân phường Vỹ Dạ", "agency"),
    ("lthoa.vyda", "Lê Thị Hoa", "personal"),
    ("tiepnhan", "Tiếp nhận thư nghi ngờ", "service"),
    ("postmaster", "Postmaster", "service"),
)


async def load_demo(accounts: Accounts, domain: str) -> list[tuple[str, str]]:
    """Create the demo accounts that do not exist yet; return (address, password) pairs."""
    created = []
    for local, name, kind in DEMO_ACCOUNTS:
        password = generate_password()
        try:
            account = await accounts.create(
                f"{local}@{domain}", password, display_name=name, kind=kind
            )
        except AccountExists:
            continue
        created.append((account.address, password))
    return created
