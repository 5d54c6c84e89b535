"""The loader: every program form through one door, by file or by name from a data directory,
and the `ternsig card` commands."""
from __future__ import annotations

from pathlib import Path

import pytest

from ternsig import loader
from ternsig.binary import serialize
from ternsig.cli import EXAMPLES, main
from ternsig.errors import FormatError, TernsigError

CLASSIFIER = EXAMPLES / "classifier.ternsig"


@pytest.fixture
def forms(tmp_path: Path) -> dict[str, Path]:
    """The classifier as source, TVMR, legacy-free card, each under the same stem in its own dir."""
    prog = loader.load_program_file(CLASSIFIER)
    out = {}
    for suffix in (".ternsig", ".tvmr", ".card"):
        d = tmp_path / suffix[1:]
        d.mkdir()
        p = d / f"net{suffix}"
        if suffix == ".ternsig":
            p.write_bytes(CLASSIFIER.read_bytes())
        elif suffix == ".tvmr":
            p.write_bytes(serialize(prog))
        else:
            loader.save_card(p, prog)
        out[suffix] = p
    return out


@pytest.fixture(autouse=True)
def _no_data_dir(monkeypatch):
    monkeypatch.delenv(loader.DATA_DIR_ENV, raising=False)
    loader.set_data_dir(None)
    yield
    loader.set_data_dir(None)


def test_every_form_loads_to_the_same_program(forms):
    want = serialize(loader.load_program_file(CLASSIFIER))
    for p in forms.values():
        assert serialize(loader.load_program_file(p)) == want, p


def test_content_decides_not_the_suffix(forms, tmp_path):
    odd = tmp_path / "card_named.ternsig"
    odd.write_bytes(forms[".card"].read_bytes())
    assert loader.program_bytes_kind(odd.read_bytes()) == "card"
    assert serialize(loader.load_program_file(odd)) == forms[".tvmr"].read_bytes()


def test_data_dir_order_code_then_env_then_default(monkeypatch, tmp_path):
    assert loader.data_dir() == Path("data/ternsig")
    monkeypatch.setenv(loader.DATA_DIR_ENV, str(tmp_path / "env"))
    assert loader.data_dir() == tmp_path / "env"
    loader.set_data_dir(tmp_path / "code")
    assert loader.data_dir() == tmp_path / "code"


def test_load_path_by_name(forms, monkeypatch):
    want = forms[".tvmr"].read_bytes()
    for suffix, p in forms.items():
        monkeypatch.setenv(loader.DATA_DIR_ENV, str(p.parent.parent))
        name = f"{suffix[1:]}/net"
        assert serialize(loader.load_path(name)) == want
    loader.set_data_dir(forms[".card"].parent)
    assert serialize(loader.load_path("net", is_card=True)) == want
    with pytest.raises(TernsigError, match="no such program|cannot read"):
        loader.load_path("net", is_card=False)
    assert serialize(loader.load_path("net", is_card=False, base=forms[".ternsig"].parent)) == want


@pytest.mark.parametrize("name", ["../escape", "/abs/path", ""])
def test_names_stay_inside_the_data_dir(name, tmp_path):
    with pytest.raises(TernsigError, match="relative path inside"):
        loader.load_path(name, base=tmp_path)


def test_missing_name_lists_what_was_tried(tmp_path):
    with pytest.raises(TernsigError, match=r"net\.ternsig, net\.tvmr, net\.card"):
        loader.load_path("net", base=tmp_path)


def test_damaged_card_is_a_format_error_naming_the_file(forms):
    p = forms[".card"]
    data = bytearray(p.read_bytes())
    data[-6] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(FormatError, match=f"{p.name}.*checksum mismatch"):
        loader.load_program_file(p)


# ---- CLI -------------------------------------------------------------------------------------------

def test_card_pack_unpack_is_byte_identical_to_asm(tmp_path, capsys):
    asm_out, card, unpacked = tmp_path / "a.tvmr", tmp_path / "c.card", tmp_path / "u.tvmr"
    assert main(["asm", str(CLASSIFIER), "-o", str(asm_out)]) == 0
    assert main(["card", "pack", str(CLASSIFIER), "-o", str(card)]) == 0
    assert main(["card", "unpack", str(card), "-o", str(unpacked)]) == 0
    assert unpacked.read_bytes() == asm_out.read_bytes()
    assert loader.program_bytes_kind(card.read_bytes()) == "card"
    assert b'"id":"c"' in card.read_bytes()
    capsys.readouterr()


@pytest.mark.parametrize("cmd", [["run", "--input", "1,2,3,4,5,6,7,8"], ["disasm"], ["inspect"], ["validate"]])
def test_every_command_takes_every_form(forms, capsys, cmd):
    outs = []
    for p in forms.values():
        code = main([cmd[0], str(p), *cmd[1:]])
        out, err = capsys.readouterr()
        assert code == 0, err
        outs.append("".join(ln for ln in out.replace(str(p), "FILE").splitlines(True)
                            if not ln.startswith("card id:")))
    assert outs[1] == outs[2]                  # binary and card: the same program bytes
    if cmd[0] == "run":
        assert outs[0] == outs[1]


def test_validate_finds_every_form_in_a_directory(forms, capsys):
    code = main(["validate", str(forms[".ternsig"].parent.parent)])
    out, _ = capsys.readouterr()
    assert code == 0 and "3 file(s), 0 with errors" in out


def test_card_unpack_of_damage_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.card"
    bad.write_bytes(b"TVMR\x01\x00\x01\x00garbage")
    code = main(["card", "unpack", str(bad), "-o", str(tmp_path / "x.tvmr")])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1 and "bad.card" in err
    assert not (tmp_path / "x.tvmr").exists()
