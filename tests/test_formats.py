"""chromapipe.formats: every reader on small files written from the spec, the bad-input matrix per
format, fuzzing, format invariance on the shipped chr1 and chr21, ensembles, homologs and
genome-wide structures."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chromapipe import formats
from chromapipe.beadmap import chromosome_bins, read_bin_map
from chromapipe.errors import InputError
from chromapipe.physical import physical_features
from chromapipe.synthetic import random_walk
from conftest import EXTENSION, GSDB, MAPPING
from test_fuzz import mutated


def parse(text, fmt, path="t"):
    return formats.parse_structure(text.encode(), fmt, path)


# --- small files from the spec ----------------------------------------------------------------------

DIPC = "1(pat)\t3000000\t-3.712\t10.204\t2.955\n1(pat)\t3020000\t-3.1\t9.9\t2.5\n1(pat)\t3040000\t-2.8\t9.5\t2.1\n"
HICKIT = (
    "#chromosome: 1a 195471971\n#chromosome: 1b 195471971\n#unit: 0.3125000\n"
    "1a\t3000000\t-0.412000\t1.275000\t0.090000\n"
    "1a\t3020000\t-0.400000\t1.200000\t0.100000\n"
    "1b\t3000000\t0.905000\t-0.733000\t-1.216000\n"
)
NUCLE3D = (
    "TITLE\ttoy_cell\nGENOME\tmm10\nBINSIZE\t100000\nCHR\tchr2\n30,1.52,-0.38,2.01\n33,2.05,0.31,2.90\n34,2.1,0.4,3.0\n"
)
N3D = (
    "chr2\t3\t2\n"
    "2000000\t1.25\t-0.5\t3.0\t1.3\t-0.4\t2.9\n"
    "2100000\t1.35\t-0.6\t3.1\t1.4\t-0.5\t3.0\n"
    "2200000\t1.45\t-0.7\t3.2\t1.5\t-0.6\t3.1\n"
)
NUCDYN = (
    "TITLE     NucDynamics genome structure export\n"
    "MODEL        1\n"
    "HETATM    1 C1   C_2 a   3       1.250  -0.500   3.000  0.00  0.00           C     2000000\n"
    "HETATM    2 C2   C_2 a   3       1.350  -0.600   3.100  0.00  0.00           C     2100000\n"
    "ENDMDL\n"
    "MODEL        2\n"
    "HETATM    1 C1   C_2 a   3       1.300  -0.400   2.900  0.00  0.00           C     2000000\n"
    "HETATM    2 C2   C_2 a   3       1.400  -0.500   3.000  0.00  0.00           C     2100000\n"
    "ENDMDL\n"
    "END\n"
)
TADBIT = (
    "# CHROMOSOME      :  chr7\n# RESOLUTION      :  20000\n# START           :  0\n"
    "1\tchr7:1-20000\t102.551\t-33.120\t80.004\n"
    "2\tchr7:20001-40000\t110.0\t-30.0\t81.0\n"
    "3\tchr7:40001-60000\t115.0\t-28.0\t85.0\n"
)
CIF_HEAD = (
    "data_myblock\nloop_\n_atom_site.group_PDB\n_atom_site.type_symbol\n_atom_site.id\n_atom_site.label_asym_id\n"
    "_atom_site.label_comp_id\n_atom_site.label_seq_id\n_atom_site.label_atom_id\n_atom_site.Cartn_x\n"
    "_atom_site.Cartn_y\n_atom_site.Cartn_z\n_atom_site.B_iso_or_equiv\n"
)
CIF = (
    CIF_HEAD + "HETATM . 1 7(pat) 012 1 340 -3.712 10.204 2.955 -1.0\n"
    "HETATM . 2 7(pat) 012 1 360 -3.5 10.0 2.9 -1.0\n"
    "HETATM . 3 7(pat) 012 1 380 -3.3 9.8 2.8 -1.0\n"
)
IHM_HEAD = (
    "data_model\nloop_\n_entity.id\n_entity.type\n1 polymer\n"
    "loop_\n_struct_asym.id\n_struct_asym.entity_id\n2A 1\n2B 1\n"
    "loop_\n_chem_comp.id\n_chem_comp.name\n_chem_comp.type\n"
    "Seg-1 'chr2:0-1000000' other\nSeg-2 'chr2:1000000-2000000' other\n"
    "loop_\n_entity_poly_seq.entity_id\n_entity_poly_seq.num\n_entity_poly_seq.mon_id\n1 1 Seg-1\n1 2 Seg-2\n"
    "loop_\n_ihm_model_list.model_id\n_ihm_model_list.model_name\n1 m1\n"
)
IHM = (
    IHM_HEAD + "loop_\n_ihm_sphere_obj_site.ordinal_id\n_ihm_sphere_obj_site.entity_id\n"
    "_ihm_sphere_obj_site.seq_id_begin\n_ihm_sphere_obj_site.seq_id_end\n_ihm_sphere_obj_site.asym_id\n"
    "_ihm_sphere_obj_site.Cartn_x\n_ihm_sphere_obj_site.Cartn_y\n_ihm_sphere_obj_site.Cartn_z\n"
    "_ihm_sphere_obj_site.object_radius\n_ihm_sphere_obj_site.rmsf\n_ihm_sphere_obj_site.model_id\n"
    "1 1 1 1 2A 345.6 821.6 330.4 150.0 . 1\n"
    "2 1 2 2 2A 355.6 811.6 320.4 150.0 . 1\n"
    "3 1 1 1 2B 145.6 621.6 130.4 150.0 . 1\n"
    "4 1 2 2 2B 155.6 611.6 120.4 150.0 . 1\n"
)
SMALL = {
    "dipc-3dg": DIPC,
    "hickit-3dg": HICKIT,
    "nucle3d": NUCLE3D,
    "n3d": N3D,
    "nucdyn-pdb": NUCDYN,
    "tadbit-xyz": TADBIT,
    "dipc-cif": CIF,
    "ihm": IHM,
}


def test_dipc_3dg():
    s = parse(DIPC, "dipc-3dg")
    assert s.chrom.tolist() == ["1"] * 3 and s.haplotype.tolist() == ["pat"] * 3
    assert s.start.tolist() == [3000001, 3020001, 3040001]  # 0-based bin start + 1
    assert s.coords[0].tolist() == [-3.712, 10.204, 2.955] and s.units.startswith("bead radii")


def test_hickit_3dg_suffixes_and_unit():
    s = parse(HICKIT, "hickit-3dg")
    assert s.homologs == [("1", "pat"), ("1", "mat")]
    assert s.start.tolist() == [3000001, 3020001, 3000001]
    assert s.coords[0].tolist() == [-0.412 / 0.3125, 1.275 / 0.3125, 0.09 / 0.3125]
    assert formats.text.split_hickit_name("chrXb") == ("X", "mat")
    assert formats.text.split_hickit_name("X") == ("X", None)
    assert formats.text.split_hickit_name("scaffold_7") == ("scaffold_7", None)


def test_nucle3d_bin_ids():
    s = parse(NUCLE3D, "nucle3d")
    assert s.chrom.tolist() == ["2"] * 3 and s.start.tolist() == [3000001, 3300001, 3400001]
    assert s.coords[1].tolist() == [2.05, 0.31, 2.90]


def test_n3d_models_in_columns():
    s = parse(N3D, "n3d")
    assert s.model_ids == [1, 2] and s.n_beads == 3
    assert s.coords_by_model()[1, 0].tolist() == [1.3, -0.4, 2.9]
    assert [m.positions.tolist() for m in s.models()] == [[2000001, 2100001, 2200001]] * 2


def test_nucdyn_pdb_models_and_positions():
    s = parse(NUCDYN, "nucdyn-pdb")
    assert s.model_ids == [1, 2] and s.chrom.tolist() == ["2"] * 4
    assert s.positions.tolist() == [2000001, 2100001]
    # the package's PDB convention: float32(value * 0.1)
    assert s.coords.dtype == np.float32 and s.coords[2, 0] == np.float32(1.3 * 0.1)


def test_tadbit_xyz_labels_and_start_shift():
    s = parse(TADBIT, "tadbit-xyz")
    assert s.chrom.tolist() == ["7"] * 3 and s.start.tolist() == [1, 20001, 40001]
    # START 100000 at 20 kb: TADbit shifts every label by 100000 // 20000 = 5 bp; undone
    shifted = "# RESOLUTION      :  20000\n# START           :  100000\n1\tchr7:100006-120005\t1\t2\t3\n"
    assert parse(shifted, "tadbit-xyz").start.tolist() == [100001]


def test_dipc_cif():
    s = parse(CIF, "dipc-cif")
    assert s.homologs == [("7", "pat")] and s.start.tolist() == [12340001, 12360001, 12380001]
    assert s.coords[0].tolist() == [-3.712, 10.204, 2.955]


def test_ihm_alabtools_style():
    s = parse(IHM, "ihm")
    assert s.homologs == [("2", "pat"), ("2", "mat")]
    assert s.start.tolist() == [1, 1000001, 1, 1000001] and s.units == "nm (alabtools)"
    assert s.select("chr2", "mat").coords[1].tolist() == [155.6, 611.6, 120.4]


def test_format_from_extension_and_content(tmp_path):
    for fmt, text in SMALL.items():
        path = tmp_path / f"s{EXTENSION[fmt]}"
        path.write_text(text)
        assert formats.read_structure(path).format == fmt
        assert formats.detect_format(path) == fmt
    (tmp_path / "s.nul3d").write_text(NUCLE3D)
    assert formats.read_structure(tmp_path / "s.nul3d").format == "nucle3d"
    # the format is overridable
    (tmp_path / "s.txt").write_text(DIPC)
    assert formats.read_structure(tmp_path / "s.txt", format="dipc-3dg").n_beads == 3
    with pytest.raises(InputError, match="unknown structure extension '.txt'"):
        formats.read_structure(tmp_path / "s.txt")
    with pytest.raises(InputError, match="unknown structure format 'xyz'"):
        formats.read_structure(tmp_path / "s.txt", format="xyz")


# --- the bad-input matrix ---------------------------------------------------------------------------


def _cut_last_field(text):
    body = text.rstrip("\n")
    return body[: max(body.rfind("\t"), body.rfind(","), body.rfind(" "))]


def _dup_last_line(text):
    lines = text.splitlines(keepends=True)
    return "".join(lines + lines[-1:])


# format -> case -> (bad text, message fragment, line or None)
BAD = {
    "dipc-3dg": {
        "truncated": (_cut_last_field(DIPC), "expected 5 fields", 3),
        "field count": (DIPC.replace("\t2.955\n", "\t2.955\t7\n"), "expected 5 fields", 1),
        "non-numeric": (DIPC.replace("-3.712", "-3.7x2"), "x coordinate '-3.7x2' is not a number", 1),
        "nan": (DIPC.replace("-3.712", "nan"), "x coordinate 'nan' is not finite", 1),
        "duplicate": (_dup_last_line(DIPC), "duplicate bead: 1(pat) at position 3040000 already given on line 3", 4),
        "off grid": (DIPC.replace("3040000", "3040500"), "position 3040500 of 1(pat) is off the", 3),
        "haplotype": (DIPC.replace("1(pat)\t3000000", "1(xyz)\t3000000"), "homolog '1(xyz)'", 1),
        "empty": ("", "no beads", None),
    },
    "hickit-3dg": {
        "truncated": (_cut_last_field(HICKIT), "expected 5 or 6 fields", 6),
        "field count": (HICKIT.replace("\t0.090000\n", "\t0.090000\t1\t2\n"), "expected 5 or 6 fields", 4),
        "non-numeric": (HICKIT.replace("-0.412000", "x"), "x coordinate 'x' is not a number", 4),
        "nan": (HICKIT.replace("-0.412000", "NaN"), "is not finite", 4),
        "duplicate": (_dup_last_line(HICKIT), "duplicate bead: 1(mat) at position 3000000", 7),
        "off grid": (HICKIT.replace("1a\t3020000", "1a\t295471971"), "beyond the length 195471971", 5),
        "haplotype": (HICKIT.replace("1b 195471971", "1c 195471971").replace("1b\t", "1c\t"), "unknown haplotype", 6),
        "empty": ("#unit: 1\n", "no beads", None),
    },
    "nucle3d": {
        "truncated": (_cut_last_field(NUCLE3D), "expected 4 fields", 7),
        "field count": (NUCLE3D.replace("2.90\n", "2.90,1\n"), "expected 4 fields", 6),
        "non-numeric": (NUCLE3D.replace("1.52", "1.5z"), "x coordinate '1.5z' is not a number", 5),
        "nan": (NUCLE3D.replace("1.52", "nan"), "not finite", 5),
        "duplicate": (_dup_last_line(NUCLE3D), "duplicate bead: 2 at position bin 34", 8),
        "off grid": (NUCLE3D.replace("\n34,", "\n3.4,"), "bin id '3.4' is not a non-negative integer", 7),
        "haplotype": (NUCLE3D.replace("CHR\tchr2", "CHR\tchr2 a"), "expected 'CHR<TAB>name'", 4),
        "empty": ("TITLE\tx\nBINSIZE\t10\n", "no beads", None),
    },
    "n3d": {
        "truncated": ("".join(N3D.splitlines(keepends=True)[:-1]), "lacks 1 row(s)", None),
        "field count": (N3D.replace("\t2.9\n", "\t2.9\t1\n"), "expected 7 fields", 2),
        "non-numeric": (N3D.replace("1.25", "one"), "coordinate 'one' is not a number", 2),
        "nan": (N3D.replace("1.25", "inf"), "not finite", 2),
        "duplicate": (N3D.replace("2100000", "2000000"), "duplicate bead: 2 at position 2000000", 3),
        "off grid": (N3D.replace("2200000", "2250000"), "position 2250000 of 2 is off the", 4),
        "haplotype": (N3D.replace("chr2\t3", "chr2(pet)\t3"), "homolog 'chr2(pet)'", 1),
        "empty": ("# nothing\n", "no beads", None),
    },
    "nucdyn-pdb": {
        "truncated": (NUCDYN[: NUCDYN.rindex("ENDMDL")], "MODEL 2 is not closed by ENDMDL", None),
        "field count": (NUCDYN.replace(NUCDYN.splitlines()[2], NUCDYN.splitlines()[2][:50]), "too short for the x", 3),
        "non-numeric": (NUCDYN.replace("   1.250", "   1.2x0", 1), "x coordinate '1.2x0' (columns 31-38)", 3),
        "nan": (NUCDYN.replace("   1.250", "     nan", 1), "not finite", 3),
        "duplicate": (NUCDYN.replace("C     2100000", "C     2000000", 1), "duplicate bead", 4),
        "off grid": (NUCDYN.replace("C     2100000", "C     2x00000", 1), "bin start '2x00000'", 4),
        "haplotype": (NUCDYN.replace("C     2100000", "C    21000000", 1), "model 2 has 2 beads", 8),
        "empty": ("TITLE x\nEND\n", "no beads", None),
    },
    "tadbit-xyz": {
        "truncated": (_cut_last_field(TADBIT), "expected 5 fields", 6),
        "field count": (TADBIT.replace("\t80.004\n", "\t80.004\t1\n"), "expected 5 fields", 4),
        "non-numeric": (TADBIT.replace("102.551", "1O2.551"), "x coordinate '1O2.551' is not a number", 4),
        "nan": (TADBIT.replace("102.551", "nan"), "not finite", 4),
        "duplicate": (_dup_last_line(TADBIT), "bead number 3: expected 4", 7),
        "off grid": (TADBIT.replace("chr7:40001-", "chr7:40101-"), "start 40101 is off the 20000 bp grid", 6),
        "haplotype": (TADBIT.replace("chr7:20001-40000", "chr7(pat)20001-40000"), "bead label", 5),
        "empty": ("# RESOLUTION : 10\n", "no beads", None),
    },
    "dipc-cif": {
        "truncated": (CIF[:-8], "not a readable mmCIF file", None),
        "field count": (CIF.replace("2.955 -1.0\n", "2.955\n"), "not a readable mmCIF file", None),
        "non-numeric": (CIF.replace("-3.712", "-3.7x2"), "row 1: Cartn_x '-3.7x2' is not a number", None),
        "nan": (CIF.replace("-3.712", "nan"), "row 1: Cartn_x 'nan' is not finite", None),
        "duplicate": (CIF.replace("012 1 360", "012 1 340"), "duplicate bead: 7(pat) at position 12340000", None),
        "off grid": (CIF.replace("012 1 380", "012 1 390"), "position 12390000 of 7(pat) is off the", None),
        "haplotype": (CIF.replace("1 7(pat) 012", "1 7(dad) 012"), "homolog '7(dad)'", None),
        "empty": ("data_x\n", "no _atom_site loop", None),
    },
    "ihm": {
        "truncated": (IHM[:-18], "not a readable IHM file", None),
        "field count": (IHM.replace("150.0 . 1\n", "150.0 .\n", 1), "not a readable IHM file", None),
        "non-numeric": (IHM.replace("345.6", "3a5.6"), "not a readable IHM file", None),
        "nan": (IHM.replace("345.6", "nan"), "sphere 1: Cartn_x 'nan' is not finite", None),
        "duplicate": (IHM.replace("2 1 2 2 2A", "2 1 1 1 2A"), "duplicate bead: 2(pat) at position 0", None),
        "off grid": (IHM.replace("'chr2:1000000-2000000'", "'chr3:1000000-2000000'"), "not on chromosome 2", None),
        "haplotype": (IHM.replace("2B", "2C"), "copy letter 'C' of asym 2C", None),
        "empty": ("data_x\n", "no beads", None),
    },
}


@pytest.mark.parametrize(
    ("fmt", "case"), [(fmt, case) for fmt, cases in BAD.items() for case in cases], ids=lambda v: str(v)
)
def test_bad_input_matrix(fmt, case):
    text, fragment, line = BAD[fmt][case]
    with pytest.raises(InputError) as info:
        parse(text, fmt, "bad.file")
    message = str(info.value)
    assert message.startswith("bad.file"), message
    assert fragment in message, message
    if line is not None:
        assert info.value.line == line, message


@pytest.mark.parametrize("fmt", list(SMALL))
def test_non_ascii_and_binary_are_input_errors(fmt):
    for raw in (SMALL[fmt].encode() + "é\n".encode(), b"\x00\x01"):
        with pytest.raises(InputError, match="not a text structure file"):
            formats.parse_structure(raw, fmt, "bad.file")


def test_formats_without_haplotypes_refuse_one_on_select():
    with pytest.raises(InputError, match="unknown haplotype 'x'"):
        parse(NUCLE3D, "nucle3d").select("2", "x")
    with pytest.raises(InputError, match="chromosome 2 has no mat homolog"):
        parse(NUCLE3D, "nucle3d").select("2", "mat")


# --- fuzzing ----------------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.parametrize("fmt", list(SMALL))
def test_mutated_files_read_or_raise_input_error(fmt):
    @FUZZ
    @given(mutated(SMALL[fmt].encode()))
    def check(raw):
        try:
            s = formats.parse_structure(raw, fmt, "fuzz.file")
        except InputError as exc:
            assert str(exc).startswith("fuzz.file")
            return
        assert len(s) >= 1 and np.isfinite(s.coords).all()

    check()


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(list(SMALL)))
def test_random_bytes_read_or_raise_input_error(raw, fmt):
    try:
        formats.parse_structure(raw, fmt, "fuzz.file")
    except InputError as exc:
        assert str(exc).startswith("fuzz.file")


# --- format invariance on the shipped real structures -----------------------------------------------


@pytest.fixture(scope="module", params=["21", "1"])
def gsdb(request):
    """A shipped GSDB structure with bead positions on its bin map (evenly spread over the bins), and its features."""
    bins = chromosome_bins(read_bin_map(MAPPING), request.param)
    n = formats.read_structure(GSDB / f"chr{request.param}.pdb").n_beads
    rows = np.round(np.linspace(0, bins.height - 1, n)).astype(int)
    structure = formats.read_structure(GSDB / f"chr{request.param}.pdb", positions=bins["start"].to_numpy()[rows])
    features, surface = physical_features(structure.coords)
    return structure, bins, rows, features, surface


@pytest.mark.parametrize("fmt", formats.WRITE_FORMATS)
def test_format_invariance(gsdb, fmt, tmp_path):
    structure, bins, rows, features, surface = gsdb
    path = tmp_path / f"chr{structure.chrom[0]}{EXTENSION[fmt]}"
    assert formats.write_structure(structure, path, fmt) == fmt
    back = formats.read_structure(path, positions=structure.positions if fmt == "pdb" else None)
    assert back.format == fmt
    assert back.chrom.tolist() == structure.chrom.tolist() and back.haplotype.tolist() == structure.haplotype.tolist()
    assert back.positions.tolist() == structure.positions.tolist()
    assert formats.pair_with_bins(back, bins).tolist() == rows.tolist()
    # the coordinates read back are the PDB's float32 values ...
    assert np.array_equal(back.coords.astype(np.float32), structure.coords)
    # ... so every feature agrees (well within 1e-6 of the PDB's written precision)
    again, surface_again = physical_features(back.coords)
    for name, values in features.items():
        assert np.allclose(again[name], values, rtol=0, atol=1e-6, equal_nan=True), name
    assert np.allclose(surface_again.points, surface.points, rtol=0, atol=1e-6)


def test_format_invariance_pastis(gsdb, tmp_path):
    """A PASTIS matrix (numpy's savetxt, as PASTIS writes it) of the structure on its chromosome's bins, nan rows
    where no bead: read back on the bin map, the same beads, positions, coordinates and features."""
    structure, bins, rows, features, surface = gsdb
    matrix = np.full((bins.height, 3), np.nan)
    matrix[rows] = structure.coords
    path = tmp_path / "MDS.structure.pdb"
    np.savetxt(path, matrix)
    back = formats.read_structure(path, chrom=structure.chrom[0], bins=MAPPING)
    assert back.format == "pastis" and back.positions.tolist() == structure.positions.tolist()
    assert np.array_equal(back.coords.astype(np.float32), structure.coords)
    again, surface_again = physical_features(back.coords)
    for name, values in features.items():
        assert np.allclose(again[name], values, rtol=0, atol=1e-6, equal_nan=True), name
    assert np.allclose(surface_again.points, surface.points, rtol=0, atol=1e-6)


def test_convert(tmp_path):
    source = tmp_path / "two.3dg"
    source.write_text(DIPC)
    read = formats.convert(source, tmp_path / "two.n3d")
    back = formats.read_structure(tmp_path / "two.n3d")
    assert back.format == "n3d" and back.homologs == read.homologs
    assert np.array_equal(back.coords, read.coords) and np.array_equal(back.start, read.start)


def test_writers_refuse_what_the_format_cannot_hold(tmp_path):
    diploid = parse(HICKIT, "hickit-3dg")
    with pytest.raises(InputError, match="nucle3d has no haplotypes"):
        formats.format_structure(diploid, "nucle3d")
    with pytest.raises(InputError, match="one model"):
        formats.format_structure(parse(N3D, "n3d"), "dipc-3dg")
    with pytest.raises(InputError, match="no bead positions"):
        formats.format_structure(formats.read_structure(GSDB / "chr21.pdb"), "dipc-3dg")


# --- ensembles, homologs, genome-wide ---------------------------------------------------------------


def test_multi_model_round_trip_keeps_models(tmp_path):
    s = parse(N3D, "n3d")
    for fmt in ("n3d", "nucdyn-pdb", "ihm", "dipc-cif"):
        back = parse(formats.format_structure(s, fmt), fmt)
        assert back.model_ids == [1, 2], fmt
        assert np.array_equal(back.coords_by_model().astype(np.float32), s.coords_by_model().astype(np.float32))
        # a PDB keeps 3 decimals of value * 10: compare at that precision
        assert np.allclose(back.coords_by_model(), s.coords_by_model(), atol=1e-7 if fmt != "nucdyn-pdb" else 1e-4)


def test_models_must_hold_the_same_beads():
    bad = N3D.replace("chr2\t3\t2\n", "chr2\t3\t2\n") + "chr3\t1\t1\n1\t1\t1\t1\n"
    with pytest.raises(InputError, match="1 models here, 2 in the first block"):
        parse(bad, "n3d")
    with pytest.raises(InputError, match="model 2 has 2 beads"):
        parse(NUCDYN.replace("C     2100000\nENDMDL\nEND", "C     2200000\nENDMDL\nEND"), "nucdyn-pdb")


def _two_homologs_two_chromosomes():
    rng = np.random.default_rng(7)
    lines, truth = [], {}
    for chrom in ("1", "X"):
        for hap in ("pat", "mat"):
            coords = rng.normal(size=(4, 3)).round(3)
            truth[(chrom, hap)] = coords
            for k, (x, y, z) in enumerate(coords):
                lines.append(f"{chrom}({hap})\t{k * 20000}\t{x}\t{y}\t{z}\n")
    return "".join(lines), truth


def test_two_homolog_3dg_of_two_chromosomes_splits():
    text, truth = _two_homologs_two_chromosomes()
    s = parse(text, "dipc-3dg")
    assert s.homologs == list(truth)
    for (chrom, hap), coords in truth.items():
        part = s.select(f"chr{chrom}", hap)
        assert part.homologs == [(chrom, hap)] and np.array_equal(part.coords, coords)
        assert part.positions.tolist() == [1, 20001, 40001, 60001]
    with pytest.raises(InputError, match="chromosome X has 2 homologs .*never averaged"):
        s.select("X")
    with pytest.raises(InputError, match="chromosome 2 is not in the structure"):
        s.select(2)
    # hickit's a/b round-trip to the same homologs
    again = parse(formats.format_structure(s, "hickit-3dg"), "hickit-3dg")
    assert again.homologs == s.homologs and np.array_equal(again.coords, s.coords)


def test_dist_nucleus_com_against_a_direct_computation():
    text, truth = _two_homologs_two_chromosomes()
    s = parse(text, "dipc-3dg")
    everything = np.vstack(list(truth.values()))
    centre = everything.sum(axis=0) / len(everything)
    expected = np.sqrt(((everything - centre) ** 2).sum(axis=1))
    assert np.allclose(formats.dist_nucleus_com(s), expected, rtol=0, atol=1e-12)
    # per model: two models, each about its own centre
    two = parse(N3D, "n3d")
    by_model = two.coords_by_model()
    expected = np.concatenate([np.linalg.norm(m - m.mean(axis=0), axis=1) for m in by_model])
    assert np.allclose(formats.dist_nucleus_com(two), expected, rtol=0, atol=1e-12)


def test_pair_with_bins_names_a_bead_off_the_grid():
    bins = chromosome_bins(read_bin_map(MAPPING), "21")
    # hickit has no grid of its own (merged beads): the bin map is the check
    s = parse("21\t0\t1\t2\t3\n21\t500000\t1\t2\t4\n21\t750000\t1\t2\t5\n", "hickit-3dg", "off.3dg")
    with pytest.raises(
        InputError, match=r"off.3dg: 1 bead\(s\) are off the bin map's grid: bead 3 of 21 starts at 750001"
    ):
        formats.pair_with_bins(s, bins)
    with pytest.raises(InputError, match="has no bead positions"):
        formats.pair_with_bins(formats.read_structure(GSDB / "chr21.pdb"), bins)


def test_no_9999_bead_limit_outside_pdb():
    coords = random_walk(12000, seed=3)
    lines = "".join(f"1\t{k * 5000}\t{x!r}\t{y!r}\t{z!r}\n" for k, (x, y, z) in enumerate(coords.tolist()))
    s = parse(lines, "dipc-3dg")
    assert s.n_beads == 12000 and np.array_equal(s.coords, coords)
    with pytest.raises(InputError, match="at most 9999"):
        formats.format_structure(s, "pdb")
    with pytest.raises(InputError, match="do not fit PDB's 8-column fields"):
        formats.format_structure(parse("1\t0\t-100\t0\t0\n", "dipc-3dg"), "pdb")


def test_gsdb_chromosome_from_the_file_name_or_argument(tmp_path):
    assert formats.read_structure(GSDB / "chr21.pdb").homologs == [("21", None)]
    copy = tmp_path / "structure.pdb"
    copy.write_bytes((GSDB / "chr21.pdb").read_bytes())
    with pytest.raises(InputError, match="give chrom"):
        formats.read_structure(copy)
    assert formats.read_structure(copy, chrom="chrX").chrom[0] == "X"
    with pytest.raises(InputError, match="74 beads but 3 positions"):
        formats.read_structure(copy, chrom=21, positions=[1, 2, 3])


# --- variants the writers really produce ------------------------------------------------------------


def test_tadbit_xyz_of_several_chromosomes_with_list_headers():
    # TADbit's header of a model of several chromosomes: Python lists, one START per CHROMOSOME
    text = (
        "# CHROMOSOME      :  ['chr7', 'chr8']\n# END             :  [40000, 40000]\n"
        "# RESOLUTION      :  20000\n# START           :  [0, 100000]\n"
        "1\tchr7:1-20000\t1.0\t2.0\t3.0\n2\tchr7:20001-40000\t1.5\t2.0\t3.0\n"
        "3\tchr8:100006-120005\t4.0\t5.0\t6.0\n4\tchr8:120006-140005\t4.5\t5.0\t6.0\n"
    )
    s = parse(text, "tadbit-xyz")
    assert s.chrom.tolist() == ["7", "7", "8", "8"] and s.start.tolist() == [1, 20001, 100001, 120001]
    with pytest.raises(InputError, match=r"t, line 4: START '\[0, 0, 0\]': 3 starts need a CHROMOSOME header"):
        parse(text.replace("[0, 100000]", "[0, 0, 0]"), "tadbit-xyz")


def test_ihm_with_seq_ids_numbered_per_entity():
    # IHMCIF's own convention: seq_id indexes the entity's sequence (entity 2's first bead is seq_id 1)
    text = (
        "data_model\nloop_\n_entity.id\n_entity.type\n1 polymer\n2 polymer\n"
        "loop_\n_struct_asym.id\n_struct_asym.entity_id\n2A 1\nXA 2\n"
        "loop_\n_chem_comp.id\n_chem_comp.name\n_chem_comp.type\n"
        "Seg-1 'chr2:0-1000000' other\nSeg-2 'chr2:1000000-2000000' other\n"
        "Seg-3 'chrX:0-1000000' other\nSeg-4 'chrX:1000000-2000000' other\n"
        "loop_\n_entity_poly_seq.entity_id\n_entity_poly_seq.num\n_entity_poly_seq.mon_id\n"
        "1 1 Seg-1\n1 2 Seg-2\n2 1 Seg-3\n2 2 Seg-4\n"
        "loop_\n_ihm_model_list.model_id\n_ihm_model_list.model_name\n1 m1\n"
        "loop_\n_ihm_sphere_obj_site.ordinal_id\n_ihm_sphere_obj_site.entity_id\n"
        "_ihm_sphere_obj_site.seq_id_begin\n_ihm_sphere_obj_site.seq_id_end\n_ihm_sphere_obj_site.asym_id\n"
        "_ihm_sphere_obj_site.Cartn_x\n_ihm_sphere_obj_site.Cartn_y\n_ihm_sphere_obj_site.Cartn_z\n"
        "_ihm_sphere_obj_site.object_radius\n_ihm_sphere_obj_site.rmsf\n_ihm_sphere_obj_site.model_id\n"
        "1 1 1 1 2A 1.0 2.0 3.0 150.0 . 1\n2 1 2 2 2A 1.5 2.0 3.0 150.0 . 1\n"
        "3 2 1 1 XA 7.0 8.0 9.0 150.0 . 1\n4 2 2 2 XA 7.5 8.0 9.0 150.0 . 1\n"
    )
    s = parse(text, "ihm")
    x = s.select("X")  # one copy (A): haploid
    assert x.start.tolist() == [1, 1000001] and x.coords[:, 0].tolist() == [7.0, 7.5]


def test_nucdyn_pdb_of_chr_names_says_why_no_chromosome_can_be_selected():
    # nuc_dynamics writes the first three letters of 'chr1' ('chr'): only the chain letter is left
    lines = NUCDYN.replace("END\n", "").splitlines(keepends=True)
    text = "".join(line.replace("C_2 a", "chr b" if line.startswith("HETATM    2") else "chr a") for line in lines)
    with pytest.raises(InputError, match=r"chromosome 2 is not in the structure \(it has: chain a, chain b\); nuc_dyn"):
        parse(text, "nucdyn-pdb").select("2")
    # one such chain is unambiguous: it is the chromosome asked for
    one = parse(NUCDYN.replace("C_2 a", "chr a"), "nucdyn-pdb").select("2")
    assert len(one.model_ids) == 2 and len(one) == 4


def test_3dg_content_tells_dipc_from_hickit(tmp_path):
    path = tmp_path / "cell.3dg"
    path.write_text("# a comment Dip-C itself would refuse\n" + DIPC)
    assert formats.detect_format(path) == "dipc-3dg" and formats.read_structure(path).homologs == [("1", "pat")]
    path.write_text(HICKIT)
    assert formats.detect_format(path) == "hickit-3dg"


def test_an_empty_cif_is_named_as_empty(tmp_path):
    path = tmp_path / "empty.cif"
    path.write_text("")
    with pytest.raises(InputError, match="empty.cif: empty file: expected a Dip-C mmCIF structure"):
        formats.read_structure(path)


def test_a_well_formed_dipc_3dg_is_read_at_array_speed_as_line_by_line(monkeypatch):
    from chromapipe.formats import text

    coords = iter(random_walk(160, seed=3).tolist())
    homologs = [f"{c}({h})" for c in ("1", "X") for h in ("pat", "mat")]
    data = "".join(
        f"{a}\t{k * 20000}\t{x!r}\t{y!r}\t{z!r}\n" for a in homologs for k, (x, y, z) in zip(range(40), coords)
    )
    assert text._dipc_3dg_fast(data, "cell.3dg") is not None
    fast = text.parse_dipc_3dg(data, "cell.3dg")
    monkeypatch.setattr(text, "_dipc_3dg_fast", lambda *_: None)
    slow = text.parse_dipc_3dg(data, "cell.3dg")
    for field in ("chrom", "haplotype", "start", "model", "coords"):
        a, b = getattr(fast, field), getattr(slow, field)
        assert a.dtype == b.dtype and np.array_equal(a, b), field
    assert (fast.units, fast.format, fast.homologs) == (slow.units, slow.format, slow.homologs)
    # a defect the fast reader finds is named by the line-by-line reader, at its line
    monkeypatch.undo()
    for bad, message in ((data.replace("\t20000\t", "\t19000\t", 1), "grid"),
                         (data.replace("\t40000\t", "\t20000\t", 1), "duplicate bead"),
                         (data.replace("1(pat)", "1(dad)", 1), "homolog"),
                         (data + "1(pat)\t0\t1\t2\n", "expected 5 fields")):  # fmt: skip
        assert text._dipc_3dg_fast(bad, "cell.3dg") is None
        with pytest.raises(InputError, match=message):
            text.parse_dipc_3dg(bad, "cell.3dg")
