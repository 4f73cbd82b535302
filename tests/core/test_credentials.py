from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from appliance.core import Core
from appliance.errors import AuthenticationFailed, InvalidCode, PasswordExpired, PasswordRejected
from appliance.store.types import AccountInfo
from tests.core.conftest import PASSWORD

NEW_PASSWORDS = ["Đổi-mật-khẩu-1", "Đổi-mật-khẩu-2", "Đổi-mật-khẩu-3"]


async def login(core: Core, password: str, service: str = "imap") -> AccountInfo:
    return await core.auth.login(
        "nvan.skhcn@hue.gov.vn", password, service=service, client="127.0.0.1"
    )


async def test_change_password_checks_current(core: Core, account: AccountInfo) -> None:
    with pytest.raises(AuthenticationFailed):
        await core.credentials.change_password(account.id, "sai", NEW_PASSWORDS[0], "127.0.0.1")
    await core.credentials.change_password(account.id, PASSWORD, NEW_PASSWORDS[0], "127.0.0.1")
    assert (await login(core, NEW_PASSWORDS[0])).id == account.id
    with pytest.raises(AuthenticationFailed):
        await login(core, PASSWORD)


async def test_every_earlier_password_refused(core: Core, account: AccountInfo) -> None:
    current = PASSWORD
    for new in NEW_PASSWORDS:
        await core.credentials.change_password(account.id, current, new, "127.0.0.1")
        current = new
    for old in [PASSWORD, *NEW_PASSWORDS]:
        with pytest.raises(PasswordRejected) as refused:
            await core.credentials.check_new_password(account.id, old)
        assert refused.value.rules == ["password.reused"]


async def test_weak_password_names_rules(core: Core, account: AccountInfo) -> None:
    with pytest.raises(PasswordRejected) as refused:
        await core.credentials.change_password(account.id, PASSWORD, "ngan1!", "127.0.0.1")
    assert refused.value.rules == ["password.too_short", "password.no_upper"]
    assert refused.value.message == (
        "Mật khẩu phải dài hơn 8 ký tự. / The password must be longer than 8 characters. "
        "Mật khẩu phải có ít nhất một chữ hoa. / The password must contain an upper-case letter."
    )


async def test_password_expires_after_ninety_days(core: Core, account: AccountInfo) -> None:
    core.clock.advance(timedelta(days=89, hours=23))
    await login(core, PASSWORD)
    core.clock.advance(timedelta(hours=1))
    with pytest.raises(PasswordExpired):
        await login(core, PASSWORD)
    with pytest.raises(PasswordExpired):
        await login(core, PASSWORD, service="smtp")
    assert (await login(core, PASSWORD, service="web")).id == account.id
    assert (await core.auth.status(account.id)).must_change_password is True


async def test_admin_password_expires_after_sixty_days(core: Core) -> None:
    admin = await core.accounts.create(
        "admin.skhcn@hue.gov.vn", "Quản-trị-2026-Huế", kind="unit_admin"
    )
    core.clock.advance(timedelta(days=60))
    with pytest.raises(PasswordExpired):
        await core.auth.login(
            admin.address, "Quản-trị-2026-Huế", service="imap", client="127.0.0.1"
        )


async def test_reset_password_must_be_changed(core: Core, account: AccountInfo) -> None:
    _id, app_password = await core.credentials.create_app_password(account.id, "Thunderbird")
    password = await core.credentials.reset_password(
        account.id, "admin.skhcn@hue.gov.vn", "10.0.0.1"
    )
    with pytest.raises(PasswordExpired):
        await login(core, password)
    with pytest.raises(AuthenticationFailed):
        await login(core, app_password)
    assert await core.credentials.list_app_passwords(account.id) == []
    await core.credentials.change_password(account.id, password, NEW_PASSWORDS[0], "127.0.0.1")
    assert (await login(core, NEW_PASSWORDS[0])).id == account.id


async def test_admin_chosen_password_checked(core: Core, account: AccountInfo) -> None:
    _id, app_password = await core.credentials.create_app_password(account.id, "Thunderbird")
    with pytest.raises(PasswordRejected) as weak:
        await core.credentials.set_password_by_admin(account.id, "nvan.skhcn1", "cli:root", "cli")
    with pytest.raises(PasswordRejected) as reused:
        await core.credentials.set_password_by_admin(account.id, PASSWORD, "cli:root", "cli")

    assert weak.value.rules == ["password.no_upper", "password.contains_address"]
    assert reused.value.rules == ["password.reused"]
    assert (await login(core, PASSWORD)).id == account.id

    await core.credentials.set_password_by_admin(account.id, NEW_PASSWORDS[0], "cli:root", "cli")

    with pytest.raises(PasswordExpired):
        await login(core, NEW_PASSWORDS[0])
    with pytest.raises(AuthenticationFailed):
        await login(core, app_password)
    assert await core.credentials.list_app_passwords(account.id) == []
    assert (await core.auth.status(account.id)).must_change_password is True


async def enrol(core: Core, account: AccountInfo) -> tuple[str, list[str]]:
    secret = await core.credentials.begin_totp(account.id)
    code = pyotp.TOTP(secret).at(core.clock.now())
    recovery = await core.credentials.confirm_totp(account.id, code, "127.0.0.1")
    return secret, recovery


async def test_totp_enrolment_needs_valid_code(core: Core, account: AccountInfo) -> None:
    await core.credentials.begin_totp(account.id)
    with pytest.raises(InvalidCode):
        await core.credentials.confirm_totp(account.id, "000000", "127.0.0.1")
    assert (await core.auth.status(account.id)).totp_enabled is False


async def test_totp_code_single_use(core: Core, account: AccountInfo) -> None:
    secret, _recovery = await enrol(core, account)
    core.clock.advance(timedelta(seconds=30))
    code = pyotp.TOTP(secret).at(core.clock.now())
    assert await core.credentials.verify_second_factor(account.id, code, "127.0.0.1") is True
    assert await core.credentials.verify_second_factor(account.id, code, "127.0.0.1") is False


async def test_recovery_code_single_use(core: Core, account: AccountInfo) -> None:
    _secret, recovery = await enrol(core, account)
    assert len(recovery) == 10
    assert await core.credentials.verify_second_factor(account.id, recovery[3], "127.0.0.1") is True
    assert (
        await core.credentials.verify_second_factor(account.id, recovery[3], "127.0.0.1") is False
    )


async def test_mail_clients_need_app_password_with_totp(core: Core, account: AccountInfo) -> None:
    await enrol(core, account)
    with pytest.raises(AuthenticationFailed):
        await login(core, PASSWORD, service="imap")
    with pytest.raises(AuthenticationFailed):
        await login(core, PASSWORD, service="smtp")
    assert (await login(core, PASSWORD, service="web")).id == account.id
    _id, app_password = await core.credentials.create_app_password(account.id, "Điện thoại")
    assert (await login(core, app_password, service="imap")).id == account.id
    [listed] = await core.credentials.list_app_passwords(account.id)
    assert listed.name == "Điện thoại"
    assert listed.last_used_service == "imap"
    assert listed.last_used_client == "127.0.0.1"


async def test_app_password_not_for_web(core: Core, account: AccountInfo) -> None:
    _id, app_password = await core.credentials.create_app_password(account.id, "Outlook")
    with pytest.raises(AuthenticationFailed):
        await login(core, app_password, service="web")


async def test_revoked_app_password_refused(core: Core, account: AccountInfo) -> None:
    app_id, app_password = await core.credentials.create_app_password(account.id, "Outlook")
    await core.credentials.revoke_app_password(account.id, app_id)
    with pytest.raises(AuthenticationFailed):
        await login(core, app_password)


async def test_verify_password_only_account_password(core: Core, account: AccountInfo) -> None:
    _, app_password = await core.credentials.create_app_password(account.id, "Thunderbird")

    assert await core.credentials.verify_password(account.id, PASSWORD) is True
    assert await core.credentials.verify_password(account.id, "sai") is False
    assert await core.credentials.verify_password(account.id, app_password) is False
