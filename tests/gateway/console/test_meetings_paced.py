"""The preview on a deployment whose SMS leave through the local-SIM phone (paced): it says how long the phone
will need for the notice's segments, and shows no cost when SMS_SEGMENT_COST is unset."""

from __future__ import annotations

import re

import pytest

from tests.gateway.console.meetings_support import ahead, footprint, token_of
from tests.staff_users import logged_in


@pytest.fixture
def env(base_env, fake_phone):
    """SMS through the (fake) Android phone at 20 segments a minute; no segment cost."""
    return {**base_env, **fake_phone.env(), "ANDROID_SEGMENTS_PER_MINUTE": "20"}


def test_the_preview_gives_the_phones_sending_time(runtime, app, directory):
    client = logged_in(runtime, app, "fac_koro")
    day, clock = ahead(4)
    data = {"csrf_token": token_of(client), "district": "KORO", "date": day, "time": clock, "place": "Mairie"}
    before = footprint(runtime)
    page = client.post("/console/meetings/preview?lang=en", data=data).get_data(as_text=True)
    assert footprint(runtime) == before
    segments = int(re.search(r'id="plan-segments">(\d+)<', page).group(1))
    minutes = max(round(segments / 20), 1)
    assert re.search(rf'id="plan-duration">about {minutes} min<', page)
    assert "plan-cost" not in page, "no cost shown when SMS_SEGMENT_COST is unset"
    assert 'data-channel="android"' in page
