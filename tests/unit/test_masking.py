"""Masking contact data in public text (aduan/text.py): phones, e-mail addresses and NIK go, the rest stays."""
from __future__ import annotations

import pytest

from aduan.text import EMAIL_MASK, NIK_MASK, mask_contacts
from geo.routing import FLAG_NAMES, flag_name

ADDRESS = "Jl. A. Yani km 4,5 RT 012 RW 003 no. 17"


@pytest.mark.parametrize("typed", ["0812 3456 7890", "0812-3456-7890", "0812.3456.7890", "081234567890",
                                   "+62 812-3456-7890", "+6281234567890", "62 812 3456 7890", "628123456789 0"])
def test_a_mobile_number_in_any_usual_form_keeps_only_its_prefix_and_last_digits(typed):
    """However it is written, the number shows as 0812-****-**90 and none of its middle digits remain."""
    out = mask_contacts(f"Hubungi {typed} ya")
    assert out == "Hubungi 0812-****-**90 ya"
    assert "3456" not in out and "5678" not in out


@pytest.mark.parametrize("typed", ["(0511) 3252 525", "0511-3252525", "0511 325 2525", "05113252525",
                                   "+62 511 3252525", "62 511-325-2525"])
def test_a_landline_keeps_only_its_area_code_and_last_digits(typed):
    """A home or office number (the reporter's own, often) is masked as a mobile number is."""
    out = mask_contacts(f"Telepon rumah {typed} ya")
    assert out == "Telepon rumah 0511-****-**25 ya" and "3252" not in out


def test_a_jakarta_landline_keeps_its_two_digit_area_code():
    assert mask_contacts("kantor (021) 555-1234.") == "kantor 021-****-**34."


def test_an_address_with_rt_rw_km_and_house_number_is_untouched_and_the_phone_after_it_masked():
    """RT 012, RW 003, km 4,5 and no. 17 are not phone numbers; the number after them is."""
    out = mask_contacts(f"{ADDRESS}, hubungi 0812 3456 7890")
    assert out == f"{ADDRESS}, hubungi 0812-****-**90"


def test_a_nik_is_masked_whole_contiguous_or_in_groups():
    """Sixteen digits (the NIK), contiguous or in groups of four, become the NIK mark."""
    assert mask_contacts("NIK 6371012345678901") == f"NIK {NIK_MASK}"
    assert mask_contacts("NIK: 6371 0123 4567 8901.") == f"NIK: {NIK_MASK}."


def test_an_email_address_is_masked():
    """An e-mail address, with dots and plus, disappears entirely."""
    out = mask_contacts("Kirim ke budi.santoso+aduan@mail.contoh.co.id segera")
    assert out == f"Kirim ke {EMAIL_MASK} segera" and "budi" not in out


@pytest.mark.parametrize("typed", ["siti [at] example [dot] org", "siti(at)example.org", "siti@example dot org",
                                   "siti at example dot org", "SITI [AT] EXAMPLE [DOT] CO [DOT] ID",
                                   "siti at gmail titik com", "siti@gmail dot com", "siti {at} example(.)org"])
def test_an_email_address_written_to_dodge_harvesters_is_masked(typed):
    """People write their address the way that keeps it from spam robots; a reader of the map must not get it."""
    out = mask_contacts(f"Balas ke {typed} ya")
    assert out == f"Balas ke {EMAIL_MASK} ya" and "siti" not in out.lower()


@pytest.mark.parametrize("text", ["Rapat at kantor.baru besok", "Jl. A. Yani at 5 pm", "meet at home. dot",
                                  "toko @ jl. Sudirman", "harga 5 at 10 titik", "rapat @ 10.00 WITA",
                                  "beli 3 @ Rp5.000", "10 tiang @ 5.000 rupiah", "toko @jl.sudirman 5"])
def test_the_words_at_and_dot_alone_and_an_at_sign_in_a_price_or_a_time_stay(text):
    """"at" needs "dot" (or brackets) to be an address; an address ends in letters ("@ 10.00", "@ Rp5.000" do not)
    and its @ has no spaces around it unless bracketed."""
    assert mask_contacts(text) == text



@pytest.mark.parametrize("text", [
    "Lubang sejak 17-08-2026 jam 08.30", "Tanggal 2026-11-02, km 12+400", "Rp 1.500.000 untuk 3 rumah",
    "Gang 08 no. 0812", "Kode BJM-2611-8K3Q", "Titik -3.3912345, 114.5087654", "Nomor 08123 saja",
    "Angka panjang 12345678901234567", "Sejak 05-11-2026 10.30", "03-12-2026 jam 09.15", "KM 012 345",
    "RT 012 RW 003"])
def test_dates_amounts_codes_and_short_or_overlong_numbers_stay(text):
    """Only phones (10–13 digits starting like a mobile number), e-mails and 16-digit NIK are masked."""
    assert mask_contacts(text) == text


def test_a_number_followed_by_another_number_masks_the_phone_and_keeps_the_rest():
    """'0812 3456 7890 17 Agustus': the phone is masked, the day after it kept."""
    assert mask_contacts("hp 0812 3456 7890 17 Agustus") == "hp 0812-****-**90 17 Agustus"


def test_several_contacts_in_one_text_are_all_masked():
    """Two phones, an e-mail and a NIK in one description: each is masked."""
    out = mask_contacts("WA 0813-5000-1122 atau 0511 telp 085212345678, a@b.id, NIK 6371012345678901")
    assert out == f"WA 0813-****-**22 atau 0511 telp 0852-****-**78, {EMAIL_MASK}, NIK {NIK_MASK}"


def test_nothing_and_empty_stay_as_they_are():
    assert mask_contacts(None) is None and mask_contacts("") == ""


def test_every_routing_flag_has_words_in_both_languages():
    """Flags are shown as words, not codes; an unknown flag falls back to its code."""
    assert set(FLAG_NAMES) == {"overlap", "snapped", "near_border"}
    assert flag_name("near_border") == "Dekat batas wilayah" and flag_name("near_border", "en") == "Near a border"
    assert flag_name("something_new", "en") == "something_new"
