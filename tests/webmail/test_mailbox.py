"""Folder navigation, the message list with paging, and moving, deleting and marking."""

from __future__ import annotations

import re

from appliance.store.types import AccountInfo
from tests.conftest import CORPUS
from tests.harness import RunningAppliance
from tests.webmail.conftest import (
    WebClient,
    deliver,
    folder_ids,
    simple_message,
)

NAV_ITEM = re.compile(
    r'<li class="depth-\d" data-folder="([^"]+)">\s*<a href="/folder/\d+"[^>]*>\s*'
    r'<span class="label">([^<]+)</span>\s*'
    r'(?:<span class="count"><span aria-hidden="true">(\d+)</span>)?'
)
ROW = re.compile(r'<tr class="(unread|read)" data-uid="(\d+)">')


def nav_items(page: str) -> list[tuple[str, str, str]]:
    return NAV_ITEM.findall(page)


def test_folders_in_order_with_unread_counts(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    for number in range(3):
        deliver(appliance, simple_message(f"Thư số {number}"))
    appliance.call(lambda: appliance.core.store.create_folder(account.id, "Dự án/Huế"))
    ids = folder_ids(appliance, account)

    page = signed_in.get(f"/folder/{ids['INBOX']}").text

    assert nav_items(page) == [
        ("INBOX", "Hộp thư đến", "3"),
        ("Sent", "Đã gửi", ""),
        ("Drafts", "Thư nháp", ""),
        ("Trash", "Thùng rác", ""),
        ("Junk", "Thư rác", ""),
        ("Archive", "Lưu trữ", ""),
        ("Báo cáo thư đáng ngờ", "Báo cáo thư đáng ngờ", ""),
        ("Dự án", "Dự án", ""),
        ("Dự án/Huế", "Huế", ""),
    ]
    assert "3 thư chưa đọc" in page


def test_list_newest_first_with_paging(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    for number in range(1, 56):
        deliver(appliance, simple_message(f"Thư số {number}"))
    inbox = folder_ids(appliance, account)["INBOX"]

    first = signed_in.get(f"/folder/{inbox}").text
    second = signed_in.get(f"/folder/{inbox}?page=2").text
    beyond = signed_in.get(f"/folder/{inbox}?page=9").text

    assert [int(uid) for _, uid in ROW.findall(first)] == list(range(55, 5, -1))
    assert [int(uid) for _, uid in ROW.findall(second)] == [5, 4, 3, 2, 1]
    assert [int(uid) for _, uid in ROW.findall(beyond)] == [5, 4, 3, 2, 1]
    assert "Trang 1/2" in first
    assert f'<a rel="next" href="/folder/{inbox}?page=2">Trang sau</a>' in first
    assert "Trang 2/2" in second
    assert f'<a rel="prev" href="/folder/{inbox}?page=1">Trang trước</a>' in second


def test_list_row_shows_decoded_sender_and_subject(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    raw = (CORPUS / "vietnamese" / "02-alternative-attachment.eml").read_bytes()
    deliver(appliance, raw)
    inbox = folder_ids(appliance, account)["INBOX"]

    page = signed_in.get(f"/folder/{inbox}").text

    assert ROW.findall(page) == [("unread", "1")]
    assert '<td class="who" title="nvan.skhcn@hue.gov.vn">Nguyễn Văn An</td>' in page
    assert 'Báo cáo tình hình ứng dụng CNTT quý IV năm 2026 <span class="clip"' in page
    assert '<time datetime="2026-11-05T08:30:00+07:00">05/11/2026 08:30</time>' in page
    assert len(raw) == 1848
    assert '<td class="size">1,8 KB</td>' in page


def test_mark_unread_and_read(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    deliver(appliance, simple_message("Thư một"))
    deliver(appliance, simple_message("Thư hai"))
    inbox = folder_ids(appliance, account)["INBOX"]
    csrf = signed_in.csrf(f"/folder/{inbox}")

    read = signed_in.post(
        f"/folder/{inbox}/actions",
        data={"csrf_token": csrf, "action": "read", "uid": ["1", "2"], "page": "1"},
    )
    after_read = signed_in.get(read.headers["location"]).text
    unread = signed_in.post(
        f"/folder/{inbox}/actions",
        data={"csrf_token": csrf, "action": "unread", "uid": "2", "page": "1"},
    )
    after_unread = signed_in.get(unread.headers["location"]).text

    assert read.status_code == 303
    assert ROW.findall(after_read) == [("read", "2"), ("read", "1")]
    assert "Đã đánh dấu 2 thư là đã đọc." in after_read
    assert ROW.findall(after_unread) == [("unread", "2"), ("read", "1")]
    assert "Đã đánh dấu 1 thư là chưa đọc." in after_unread


def test_move_to_archive(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    deliver(appliance, simple_message("Lưu lại"))
    ids = folder_ids(appliance, account)
    csrf = signed_in.csrf(f"/folder/{ids['INBOX']}")

    response = signed_in.post(
        f"/folder/{ids['INBOX']}/actions",
        data={"csrf_token": csrf, "action": "move", "uid": "1", "target": str(ids["Archive"])},
    )

    assert response.status_code == 303
    assert "Đã chuyển 1 thư." in signed_in.get(response.headers["location"]).text
    inbox = appliance.call(lambda: appliance.core.store.messages(ids["INBOX"]))
    archive = appliance.call(lambda: appliance.core.store.messages(ids["Archive"]))
    assert inbox == []
    assert [info.uid for info in archive] == [1]


def test_delete_moves_to_trash_then_expunges(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    deliver(appliance, simple_message("Xóa tôi"))
    ids = folder_ids(appliance, account)
    csrf = signed_in.csrf(f"/folder/{ids['INBOX']}")

    first = signed_in.post(
        f"/folder/{ids['INBOX']}/1/actions", data={"csrf_token": csrf, "action": "delete"}
    )
    in_trash = appliance.call(lambda: appliance.core.store.messages(ids["Trash"]))
    second = signed_in.post(
        f"/folder/{ids['Trash']}/actions",
        data={"csrf_token": csrf, "action": "delete", "uid": str(in_trash[0].uid)},
    )

    assert first.status_code == 303
    assert first.headers["location"] == f"/folder/{ids['INBOX']}?notice=deleted&count=1"
    assert appliance.call(lambda: appliance.core.store.messages(ids["INBOX"])) == []
    assert len(in_trash) == 1
    assert second.status_code == 303
    assert appliance.call(lambda: appliance.core.store.messages(ids["Trash"])) == []
    quota = appliance.call(lambda: appliance.core.store.quota(account.id))
    assert quota.messages == 0
    assert quota.used_bytes == 0


def test_nothing_selected_notice(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    deliver(appliance, simple_message("Một thư"))
    inbox = folder_ids(appliance, account)["INBOX"]
    csrf = signed_in.csrf(f"/folder/{inbox}")

    response = signed_in.post(
        f"/folder/{inbox}/actions", data={"csrf_token": csrf, "action": "delete"}
    )

    assert "Chưa chọn thư nào." in signed_in.get(response.headers["location"]).text
    assert len(appliance.call(lambda: appliance.core.store.messages(inbox))) == 1


def test_other_accounts_folder_not_found(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    other = appliance.add_account("khac@hue.gov.vn")
    deliver(appliance, simple_message("Riêng tư"), "khac@hue.gov.vn")
    other_inbox = folder_ids(appliance, other)["INBOX"]

    listing = signed_in.get(f"/folder/{other_inbox}")
    message = signed_in.get(f"/folder/{other_inbox}/1")

    assert listing.status_code == 404
    assert message.status_code == 404
    assert "Riêng tư" not in message.text
