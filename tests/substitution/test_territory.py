import pytest

from territory.selectors import department_code_for_postcode, prefecture_for_postcode


@pytest.mark.parametrize(("postcode", "code"), [
    ("69003", "69"), ("01000", "01"), ("20000", "2A"), ("20199", "2A"), ("20200", "2B"), ("20600", "2B"),
    ("97100", "971"), ("97600", "976"), ("97400", "974"),
])
def test_postcode_gives_the_departement(postcode, code):
    assert department_code_for_postcode(postcode) == code


@pytest.mark.parametrize("postcode", ["", "6900", "69 00", "abcde", "690031"])
def test_a_malformed_postcode_gives_nothing(postcode):
    assert department_code_for_postcode(postcode) is None


@pytest.mark.django_db
def test_prefecture_for_postcode_handles_corsica_and_overseas():
    assert prefecture_for_postcode("20090").department.code == "2A"
    assert prefecture_for_postcode("20200").department.code == "2B"
    assert prefecture_for_postcode("97200").department.code == "972"
    assert prefecture_for_postcode("97500") is None  # Saint-Pierre-et-Miquelon: no prefecture here
    assert prefecture_for_postcode("00000") is None
