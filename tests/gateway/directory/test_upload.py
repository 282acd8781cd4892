"""The browser upload's domain (gateway.directory.upload): which bytes are read as a directory file and which are
refused, the dry run (nothing written), the kept file bound to its user, and a confirmation claimed once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.directory import upload
from gateway.models import Contact
from tests.gateway.directory.test_directory import HEADER

LINE = "Awa Traoré,+22376123456,,leader,Mopti,KORO,Konna,Kotaka,fr,sms,"
TEXT = f"{HEADER}\n{LINE}\n"


@pytest.mark.parametrize(
    "data",
    [TEXT.encode(), b"\xef\xbb\xbf" + TEXT.encode(), TEXT.replace("\n", "\r\n").encode()],
    ids=["utf-8", "utf-8 with BOM", "CRLF"],
)
def test_utf8_is_read(data):
    assert "Awa Traoré" in upload.decode(data)


@pytest.mark.parametrize(
    "data,code",
    [
        (TEXT.encode("latin-1"), "not_utf8"),
        (TEXT.encode("cp1252"), "not_utf8"),
        (TEXT.encode("utf-16"), "utf16"),
        (TEXT.encode("utf-16-be"), "utf16"),
        (b"", "empty"),
        (b"\xef\xbb\xbf \r\n", "empty"),
    ],
    ids=["latin-1", "windows-1252", "utf-16 BOM", "utf-16 no BOM", "empty", "BOM and blanks"],
)
def test_other_encodings_are_refused_not_guessed(data, code):
    with pytest.raises(upload.UploadError) as refused:
        upload.decode(data)
    assert refused.value.code == code


def count(runtime) -> int:
    with runtime.db.sessions() as db:
        return db.scalar(select(func.count()).select_from(Contact))


def test_a_dry_run_writes_nothing(runtime, directory):
    before = count(runtime)
    preview = upload.dry_run(runtime.db, TEXT)
    assert preview.importable and preview.report.created == 1
    assert count(runtime) == before


def test_a_dry_run_lists_bad_lines(runtime, directory):
    preview = upload.dry_run(runtime.db, f"{TEXT}{LINE.replace('+22376123456', 'abc')}\n")
    assert not preview.importable
    assert [str(e) for e in preview.errors] == ["line 3: phone 'abc': not a phone number"]


def test_kept_files_belong_to_their_user_and_are_confirmed_once(runtime):
    token = upload.keep(runtime.redis, 7, "d.csv", TEXT)
    assert upload.pending(runtime.redis, 7, token)["text"] == TEXT
    assert upload.pending(runtime.redis, 8, token) is None
    assert upload.pending(runtime.redis, 7, "../../etc") is None
    assert 0 < runtime.redis.ttl(upload.PENDING_KEY + token) <= upload.PENDING_TTL_SECONDS
    assert upload.claim(runtime.redis, token) is True
    assert upload.claim(runtime.redis, token) is False
    upload.finish(runtime.redis, token, {"user": 7, "created": 1})
    assert upload.pending(runtime.redis, 7, token) is None
    assert upload.outcome_of(runtime.redis, token)["created"] == 1
