"""What the QR flows share: rotating tokens, typed codes, number matching."""

from datetime import timedelta

from gateway.core import qrcodes, qrimage
from tests.support import START


def test_tokens_carry_144_bits_and_differ_per_flow_and_rotation():
    tokens = {qrcodes.token_for(b"s" * 32, flow, n) for flow in ("a", "b") for n in range(4)}
    assert len(tokens) == 8
    assert all(len(token) == 24 for token in tokens)
    assert qrcodes.token_for(b"s" * 32, "a", 0) != qrcodes.token_for(b"t" * 32, "a", 0)


def test_a_link_with_a_token_stays_within_qr_version_4():
    link = "https://gateway.example.com/q/" + qrcodes.token_for(b"s" * 32, "a" * 32, 3)
    assert (len(qrimage.matrix(link)) - 17) // 4 <= 4


def test_rotations_follow_the_clock():
    assert qrcodes.rotations(timedelta(seconds=120)) == 4
    assert qrcodes.rotations(timedelta(seconds=120), None) == 1
    assert qrcodes.current_rotation(START, START + timedelta(seconds=29.9)) == 0
    assert qrcodes.current_rotation(START, START + timedelta(seconds=30)) == 1
    assert qrcodes.next_rotation_at(START, START + timedelta(seconds=31)) == START + timedelta(
        seconds=60)
    assert qrcodes.current_rotation(START, START + timedelta(hours=1), None) == 0
    assert qrcodes.next_rotation_at(START, START, None) is None


def test_codes_use_the_unambiguous_alphabet_and_normalise():
    display, columns = qrcodes.new_code()
    code = display.replace("-", "")
    assert len(code) == 8 and set(code) <= set(qrcodes.CODE_ALPHABET)
    assert columns["code_lookup"] == code[:4] and code not in columns["code_hash"]
    assert qrcodes.normalize_code(f" {display.lower()} ") == code
    assert qrcodes.normalize_code(code[:4] + " " + code[4:]) == code
    for bad in ("", "BCDF-GHJ", "BCDF-GHJKL", "BCDF-GHJ0", "AEIO-UBCD"):
        assert qrcodes.normalize_code(bad) is None


def test_number_matching_offers_three_distinct_two_digit_numbers_including_the_one():
    for _ in range(200):
        number, choices = qrcodes.number_choices()
        assert number in choices and len(set(choices)) == 3
        assert all(10 <= n <= 99 for n in choices)


def test_the_right_number_is_not_always_in_the_same_place():
    places = set()
    for _ in range(100):
        number, choices = qrcodes.number_choices()
        places.add(choices.index(number))
    assert places == {0, 1, 2}
