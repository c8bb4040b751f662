"""GSDB as a source: catalogue, resolve(), archives, bead rules, the gsdb subcommand, a local GSDB."""

import argparse
import io
import re
import tarfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import requests
import yaml

from chromapipe import beadmap, gsdb
from chromapipe.archive import extract_members, find_member
from chromapipe.errors import InputError
from chromapipe.formats.pdb import read_pdb
from chromapipe.synthetic import synthetic_gsdb_dataset
from gsdb_server import FILENAME, GSDB_ID, GsdbTestServer, build_archive

SHIPPED = {"id": "AX9716PF", "filename": "GSE105544_ENCFF010WBP", "algorithm": "3DMax"}


@pytest.fixture(scope="module")
def catalogue():
    return gsdb.load_catalogue()


def quiet_resolve(section, catalogue):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        source = gsdb.resolve(section, catalogue)
    return source, [str(w.message) for w in caught]


# --- catalogue -----------------------------------------------------------------


def test_catalogue_ships_with_the_package(catalogue):
    assert len(catalogue.entries) == 178
    # gsdb.md says 33 experiments; the catalogue's dump has 32 IDs, one of them 7 characters long
    assert len({e.gsdb_id for e in catalogue.entries}) == 32
    assert (
        gsdb.resolve(
            {"id": "QF5375B", "filename": catalogue.by_id("QF5375B")[0].filename, "algorithm": "HSA"}, catalogue
        ).gsdb_id
        == "QF5375B"
    )
    entry = catalogue.by_filename("GSE105544_ENCFF010WBP")
    assert entry.gsdb_id == "AX9716PF"
    assert entry.title == "Hi-C from brain microvascular endothelial cell"
    assert (entry.organism, entry.resolutions, entry.geo, entry.project_id) == (
        "Homo sapiens",
        ("500kb",),
        "GSE105544",
        "ENCSR507AHE",
    )
    assert "Dekker" in entry.lab and entry.project == "ENCODE"


def test_catalogue_is_package_data_of_the_wheel():
    import tomllib
    from pathlib import Path

    root = Path(__file__).parents[1]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["chromapipe"]
    shipped = [p for pat in patterns for p in (root / "workflow" / "chromapipe").glob(pat)]
    assert root / "workflow/chromapipe/data/gsdb_catalog.tsv" in shipped


def test_parse_catalogue_names_the_line():
    with pytest.raises(InputError, match=r"cat.tsv, line 3: expected 10 tab-separated fields, found 2"):
        header = "\t".join(gsdb.CATALOGUE_COLUMNS)
        row = "\t".join(["AA0000AA", "F", "1MB", "t", "b", "Homo sapiens", "l", "p", "", "g"])
        gsdb.parse_catalogue(f"{header}\n{row}\nAA\tB\n", "cat.tsv")


def test_search_filters(catalogue):
    found = catalogue.search("ENDOTHELIAL")
    assert {e.gsdb_id for e in found} == {"AX9716PF", "ED7265CB", "EJ5476CF"}
    assert {e.gsdb_id for e in catalogue.search("brain microvascular")} == {"AX9716PF"}
    mouse = catalogue.search(organism="musculus")
    assert {e.gsdb_id for e in mouse} == {"TE1402WS", "VH2561BL", "EA2504YQ", "OO7429SF"}
    res = catalogue.search("brain microvascular endothelial", resolution="500KB")
    assert {e.filename for e in res} == {"GSE105544_ENCFF010WBP", "GSE105544_ENCFF940ITX"}


# --- resolve ---------------------------------------------------------------------


def test_resolve_the_shipped_dataset(catalogue):
    source = gsdb.resolve(SHIPPED, catalogue)
    base = "https://hekademeia-uploads.s3.us-west-2.amazonaws.com/mu/eecs/cheng/gsdb/"
    path = "AX9716PF/GSE105544_ENCFF010WBP/VC/3DMax/chr21.pdb"
    assert source.structure_urls(21) == (base + path, "https://calla.rnet.missouri.edu/genome3d/GSDB/Database/" + path)
    assert source.log_urls("X")[0].endswith("/VC/3DMax/chrX.log")
    assert (
        source.archive_url
        == "http://calla.rnet.missouri.edu/genome3d/GSDB/Dataset/AX9716PF/GSE105544_ENCFF010WBP.tar.gz"
    )
    assert source.contact_member(21) == "VC/chr21_list.txt"
    assert source.mapping_member == "GSE105544_ENCFF010WBP_mapping.txt"
    assert (source.cell_type, source.organism, source.species, source.assembly, source.ucsc) == (
        "Hi-C from brain microvascular endothelial cell",
        "Homo sapiens",
        "homo_sapiens",
        "GRCh37",
        "hg19",
    )
    assert (source.resolution, source.folder, source.in_catalogue, source.warnings) == ("500kb", "VC", True, ())


@pytest.mark.parametrize(
    ("gsdb_id", "norm"),
    [("AX9716PF", "VC"), ("OO7429SF", "KR"), ("TE1402WS", "Yaffe_Tanay"), ("GG6098MH", "Yaffe_Tanay")],
)
def test_normalisation_default(catalogue, gsdb_id, norm):
    entry = catalogue.by_id(gsdb_id)[0]
    section = {"id": gsdb_id, "filename": entry.filename, "algorithm": "3DMax"}
    if len(entry.resolutions) > 1:
        section["resolution"] = entry.resolutions[0]
    assert gsdb.resolve(section, catalogue).normalization == norm


@pytest.mark.parametrize(
    ("gsdb_id", "filename", "assembly", "species"),
    [
        ("TE1402WS", "mESC", "NCBIM37", "mus_musculus"),
        ("EA2504YQ", "GSM455139_428EGAAXX.7", "GRCh37", "homo_sapiens"),  # mixed: a human cell line
    ],
)
def test_assembly_and_species_from_the_organism(catalogue, gsdb_id, filename, assembly, species):
    section = {"id": gsdb_id, "filename": filename, "algorithm": "3DMax", "resolution": "1MB"}
    if gsdb_id == "TE1402WS":
        del section["resolution"]
    source = gsdb.resolve(section, catalogue)
    assert (source.assembly, source.species) == (assembly, species)
    assert gsdb.resolve({**section, "assembly": "mm10"}, catalogue).assembly == "GRCm38"


def test_several_resolutions_need_one(catalogue):
    section = {"id": "AU4505QU", "filename": "GSE92825_ENCFF056VLK", "algorithm": "Pastis"}
    with pytest.raises(InputError, match=r"several resolutions: set gsdb.resolution to one of 25kb, 50kb, .*2\.5mb"):
        gsdb.resolve(section, catalogue)
    source = gsdb.resolve({**section, "resolution": "2.5MB"}, catalogue)
    assert source.folder == "VC_2.5mb"
    assert "/GSE92825_ENCFF056VLK/VC_2.5mb/Pastis/chr1.pdb" in source.structure_urls(1)[0]
    assert source.contact_member(1) == "VC_2.5mb/chr1_list.txt"
    with pytest.raises(InputError, match=r"resolution '40kb' is not available .* it has 25kb, 50kb, 100kb"):
        gsdb.resolve({**section, "resolution": "40kb"}, catalogue)


def test_single_resolution_folder_and_a_wrong_one(catalogue):
    assert gsdb.resolve({**SHIPPED, "resolution": "500KB"}, catalogue).folder == "VC"
    with pytest.raises(InputError, match=r"resolution '1mb' is not available for GSE105544_ENCFF010WBP .*has 500kb"):
        gsdb.resolve({**SHIPPED, "resolution": "1mb"}, catalogue)


def test_filename_of_another_id_names_the_right_one(catalogue):
    with pytest.raises(InputError, match=r"belongs to GSDB ID AX9716PF, not AU4505QU .*gsdb.id: AX9716PF"):
        gsdb.resolve({**SHIPPED, "id": "AU4505QU"}, catalogue)


def test_unknown_dataset_needs_an_assembly(catalogue):
    section = {"id": "QQ1234ZZ", "filename": "NEW_FILE", "algorithm": "3DMax"}
    with pytest.raises(
        InputError, match=r"catalogue lacks GSDB ID QQ1234ZZ \(and filename NEW_FILE\): set gsdb.assembly"
    ):
        gsdb.resolve(section, catalogue)
    with pytest.warns(gsdb.CatalogueWarning, match=r"lacks GSDB ID QQ1234ZZ .*using assembly hg19 as given"):
        source = gsdb.resolve({**section, "assembly": "hg19", "resolution": "250kb"}, catalogue)
    assert (source.folder, source.assembly, source.in_catalogue, source.cell_type) == ("VC", "GRCh37", False, "")
    # a known ID with a filename the catalogue does not list
    with pytest.raises(InputError, match=r"lacks filename NEW_FILE of GSDB ID AX9716PF \(it lists: GSE105544_"):
        gsdb.resolve({**section, "id": "AX9716PF"}, catalogue)


def test_identifiers_validated_and_case_reported(catalogue):
    with pytest.raises(InputError, match=r"gsdb.id 'AX9716' is not a GSDB ID: expected 8 letters and digits"):
        gsdb.resolve({**SHIPPED, "id": "AX9716"}, catalogue)
    with pytest.raises(InputError, match=r"gsdb.algorithm 'Max3D' is not one of LorDG, 3DMax, MOGEN, .*InfMod3DGen"):
        gsdb.resolve({**SHIPPED, "algorithm": "Max3D"}, catalogue)
    with pytest.raises(InputError, match=r"gsdb.normalization 'ICE' is not one of VC, KR, Yaffe_Tanay"):
        gsdb.resolve({**SHIPPED, "normalization": "ICE"}, catalogue)
    with pytest.raises(InputError, match=r"gsdb.filename is required"):
        gsdb.resolve({"id": "AX9716PF", "algorithm": "3DMax"}, catalogue)
    source, notes = quiet_resolve({**SHIPPED, "id": "ax9716pf", "algorithm": "chromosome3d"}, catalogue)
    assert (source.gsdb_id, source.algorithm) == ("AX9716PF", "Chromosome3D")
    assert notes == ["gsdb.algorithm 'chromosome3d' read as 'Chromosome3D'", "gsdb.id 'ax9716pf' read as 'AX9716PF'"]


def test_hosts_overridden_and_mirror_switched_off(catalogue):
    source = gsdb.resolve({**SHIPPED, "structures": "http://a/s", "mirror": None, "datasets": "http://b/d"}, catalogue)
    assert source.structure_urls(1) == ("http://a/s/AX9716PF/GSE105544_ENCFF010WBP/VC/3DMax/chr1.pdb", None)
    assert source.archive_url == "http://b/d/AX9716PF/GSE105544_ENCFF010WBP.tar.gz"


# --- archives --------------------------------------------------------------------

WANTED = {"mapping": ("VC/F_mapping.txt", "F_mapping.txt"), "chr1": ("VC/chr1_list.txt",)}


def test_find_member_with_and_without_a_leading_folder():
    names = ["F/F_mapping.txt", "F/VC/F_mapping.txt", "F/VC/chr1_list.txt", "F/VC/chr11_list.txt"]
    assert find_member(names, "VC/chr1_list.txt") == "F/VC/chr1_list.txt"
    assert find_member(["VC/chr1_list.txt"], "VC/chr1_list.txt") == "VC/chr1_list.txt"
    assert find_member(names, WANTED["mapping"]) == "F/VC/F_mapping.txt"
    assert find_member(["F_mapping.txt", "x/F_mapping.txt"], WANTED["mapping"]) == "F_mapping.txt"
    assert find_member(names, "VC/chr2_list.txt") is None
    assert find_member(["VC_500kb/chr1_list.txt"], "VC/chr1_list.txt") is None


def _tar(path, members, gz=True):
    with tarfile.open(path, "w:gz" if gz else "w") as archive:
        for name, text in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(text)
            archive.addfile(info, io.BytesIO(text.encode()))


@pytest.mark.parametrize("kind", ["tar.gz", "tar", "zip", "folder"])
def test_extract_members_from_every_kind(tmp_path, kind):
    members = {"F/VC/F_mapping.txt": "map\n", "F/VC/chr1_list.txt": "1\t2\t3\n", "F/VC/chr2_list.txt": "x\n"}
    if kind.startswith("tar"):
        archive = tmp_path / f"F.{kind}"
        _tar(archive, members, gz=kind == "tar.gz")
    elif kind == "zip":
        archive = tmp_path / "F.zip"
        with zipfile.ZipFile(archive, "w") as z:
            for name, text in members.items():
                z.writestr(name, text)
    else:
        archive = tmp_path / "F"
        for name, text in members.items():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(text)
        archive = tmp_path  # the extracted folder, with its leading folder inside
    found = extract_members(archive, WANTED, tmp_path / "out")
    assert found == {"mapping": tmp_path / "out/VC/F_mapping.txt", "chr1": tmp_path / "out/VC/chr1_list.txt"}
    assert found["chr1"].read_text() == "1\t2\t3\n"
    assert found["mapping"].read_text() == "map\n"
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == ["F_mapping.txt", "VC", "chr1_list.txt"]


def bytes_read():
    """The bytes this thread has read so far: every read() and sendfile() it made (Linux's rchar)."""
    io_counters = Path("/proc/thread-self/io").read_text()
    return int(re.search(r"^rchar: (\d+)$", io_counters, re.M).group(1))


def test_extract_reads_the_archive_once(tmp_path):
    """22 contact lists and the bin map out of one archive in one pass: the bytes read while extracting are
    the archive's size once, not once per member (a 3 MB matrix member nobody wants makes it large)."""
    archive = tmp_path / "F.tar.gz"
    lists = {f"VC/chr{n}_list.txt": f"{n}\n" for n in range(1, 23)}
    matrix = np.random.default_rng(0).bytes(1_500_000).hex()  # 3 MB of random hex: the archive is 1.7 MB
    _tar(archive, {"VC/F_mapping.txt": "m\n", **lists, "VC/F_matrix.txt": matrix})
    size = archive.stat().st_size
    wanted = {"mapping": ("VC/F_mapping.txt",), **{f"chr{n}": (f"VC/chr{n}_list.txt",) for n in range(1, 23)}}
    before = bytes_read()
    found = extract_members(archive, wanted, tmp_path / "out")
    read = bytes_read() - before
    assert size <= read < 1.2 * size, (read, size)
    assert [found[f"chr{n}"].read_text() for n in (1, 22)] == ["1\n", "22\n"]


def test_a_miss_lists_the_candidates(tmp_path):
    archive = tmp_path / "F.tar.gz"
    _tar(archive, {"F/VC_500kb/chr1_list.txt": "", "F/VC_500kb/F_mapping.txt": "", "F/README": ""})
    with pytest.raises(InputError) as info:
        extract_members(archive, WANTED, tmp_path / "out")
    message = str(info.value)
    assert str(archive) in message
    assert message.endswith("has no VC/chr1_list.txt (candidates: F/VC_500kb/chr1_list.txt)")
    # the bin map is found anywhere, by its name
    assert find_member(["F/VC_500kb/F_mapping.txt"], WANTED["mapping"]) == "F/VC_500kb/F_mapping.txt"
    _tar(archive, {"F/VC/chr1_list.txt": "", "F/VC/F_matrix.txt": "", "F/VC/chr1_matrix.txt": ""})
    with pytest.raises(InputError) as info:
        extract_members(archive, WANTED, tmp_path / "out")
    assert str(info.value).endswith("has no VC/F_mapping.txt or F_mapping.txt (candidates: no *_mapping.txt at all)")


def test_not_an_archive(tmp_path):
    junk = tmp_path / "F.tar.gz"
    junk.write_text("<html>404</html>")
    with pytest.raises(InputError, match=r"F.tar.gz: not a tar \(.tar.gz\), zip or folder"):
        extract_members(junk, WANTED, tmp_path / "out")


# --- bead rules --------------------------------------------------------------------


def test_every_algorithm_has_a_bead_rule_entry():
    assert set(gsdb.BEAD_RULES) == set(gsdb.ALGORITHMS)
    assert gsdb.BEAD_RULES["3DMax"] == "offdiagonal_positions"
    assert {r for r in gsdb.BEAD_RULES.values() if r} <= set(gsdb.BEAD_RULE_NAMES)


ROWS = np.array(
    [[1, 1, 5.0], [1, 1001, 2.0], [2001, 2001, 3.0], [1001, 3001, 0.0], [3001, 4001, np.nan], [4001, 5001, 1]]
)


def test_rule_positions():
    assert gsdb.rule_positions(ROWS, "offdiagonal_positions").tolist() == [1, 1001, 4001, 5001]
    assert gsdb.rule_positions(ROWS, "list_positions").tolist() == [1, 1001, 2001, 4001, 5001]


def test_check_bead_rule():
    assert gsdb.check_bead_rule("3DMax", 4, ROWS, 6) == "offdiagonal_positions"
    assert gsdb.check_bead_rule("Chromosome3D", 5, ROWS, 6) == "list_positions"
    assert gsdb.check_bead_rule("miniMDS", 6, ROWS, 6) == "sequential"
    positions = {"offdiagonal_positions": np.arange(4)}
    assert gsdb.check_bead_rule("lordg", 4, positions, 9) == "offdiagonal_positions"
    with pytest.raises(InputError) as info:
        gsdb.check_bead_rule("miniMDS", 5, ROWS, 6)
    assert str(info.value).startswith("no bead<->bin rule is established for miniMDS: the structure has 5 beads")
    assert "the chromosome has 6 bins" in str(info.value) and "bead map file" in str(info.value)
    with pytest.raises(InputError) as info:
        gsdb.check_bead_rule("3DMax", 5, ROWS, 6)
    assert "matches no established rule for 3DMax: the structure has 5 beads, its rule 'offdiagonal_positions' " in str(
        info.value
    )
    assert "gives 4 positions from the contact list, the chromosome has 6 bins. Provide a bead map file" in str(
        info.value
    )


# --- the gsdb subcommand ---------------------------------------------------------


def run_gsdb(*argv):
    parser = gsdb.add_arguments(argparse.ArgumentParser(prog="chromapipe gsdb"))
    out = io.StringIO()
    assert gsdb.run(parser.parse_args(list(argv)), out=out) == 0
    return out.getvalue()


def test_cli_lists_the_shipped_dataset_by_cell_type():
    assert {line.split("\t")[0] for line in run_gsdb("--search", "endothelial").splitlines()[1:]} == {
        "AX9716PF",
        "ED7265CB",
        "EJ5476CF",
    }
    lines = run_gsdb("--search", "brain microvascular", "--resolution", "500kb").splitlines()
    assert lines[0].split("\t")[:3] == ["gsdb_id", "filename", "resolutions"]
    assert [line.split("\t")[:3] for line in lines[1:]] == [
        ["AX9716PF", "GSE105544_ENCFF010WBP", "500kb"],
        ["AX9716PF", "GSE105544_ENCFF940ITX", "500kb"],
    ]
    assert lines[1].endswith("Hi-C from brain microvascular endothelial cell")
    mouse = run_gsdb("--organism", "Mus musculus").splitlines()[1:]
    assert sorted({line.split("\t")[0] for line in mouse}) == ["EA2504YQ", "OO7429SF", "TE1402WS", "VH2561BL"]
    assert len(run_gsdb().splitlines()) == 179


def test_cli_empty_search_is_an_error():
    with pytest.raises(InputError, match=r"no GSDB dataset matches --search 'oligodendrocyte', --resolution '40kb'"):
        run_gsdb("--search", "oligodendrocyte", "--resolution", "40kb")


def test_cli_prints_a_config_block_yaml_reads_back(catalogue):
    text = run_gsdb("AX9716PF/GSE105544_ENCFF010WBP", "--algorithm", "3DMax")
    assert "# Hi-C from brain microvascular endothelial cell (primary cell, Homo sapiens)" in text
    block = yaml.safe_load(text)
    assert block == gsdb.resolve(SHIPPED, catalogue).config()
    assert block["gsdb"]["id"] == "AX9716PF" and block["gsdb"]["resolution"] == "500kb"
    assert block["assembly"] == "GRCh37" and block["chromosomes"] == list(range(1, 23))
    # an ID alone is enough when it has one file at the resolution asked for
    one = yaml.safe_load(run_gsdb("TE1402WS", "--algorithm", "lordg"))
    assert (one["gsdb"]["filename"], one["gsdb"]["algorithm"], one["assembly"]) == ("mESC", "LorDG", "NCBIM37")
    assert one["chromosomes"] == list(range(1, 20))
    with pytest.raises(InputError, match=r"'AX9716PF' names 11 datasets: give ID/FILENAME"):
        run_gsdb("AX9716PF")


def test_cli_warns_in_a_comment_for_an_unknown_dataset():
    text = run_gsdb("QQ1234ZZ/NEW_FILE", "--assembly", "GRCh38")
    assert text.startswith("# warning: the shipped catalogue lacks GSDB ID QQ1234ZZ")
    assert yaml.safe_load(text)["assembly"] == "GRCh38"


# --- against a local GSDB ------------------------------------------------------------


@pytest.fixture(params=[True, False], ids=["leading-folder", "no-leading-folder"])
def server(request):
    with GsdbTestServer(leading_folder=request.param) as running:
        yield running


def test_synthetic_dataset_is_not_the_example():
    data = synthetic_gsdb_dataset()
    assert sorted(data["pdbs"]) == ["chr1", "chr2", "chrX"]
    for stem, bins in data["bins"].items():
        assert 0 < len(data["bead_positions"][stem]) < len(bins)  # some bins without a contact
        rows = np.loadtxt(data["lists"][stem].splitlines())
        assert (rows[:, 0] == rows[:, 1]).any()  # diagonal rows


def test_resolve_download_extract_and_pair(server, tmp_path, catalogue):
    source, notes = quiet_resolve(server.section, catalogue)
    assert notes[0].startswith("the shipped catalogue lacks GSDB ID ZZ0001SY")
    session = requests.Session()
    archive = tmp_path / source.archive_name
    assert gsdb.download_first([source.archive_url], archive, session) == source.archive_url
    found = extract_members(archive, source.members(["1", "2", "X"]), tmp_path / "data")
    bin_map = beadmap.read_bin_map(found["mapping"])
    expected = synthetic_gsdb_dataset()
    for chrom in ("1", "2", "X"):
        stem = gsdb.chrom_file_name(chrom)
        pdb = tmp_path / f"{stem}.pdb"
        assert gsdb.download_first(source.structure_urls(chrom), pdb, session) == source.structure_urls(chrom)[0]
        n_beads = read_pdb(pdb).shape[0]
        rows = np.loadtxt(found[stem].read_text().splitlines())
        bins = beadmap.chromosome_bins(bin_map, chrom)
        rule = gsdb.check_bead_rule(source.algorithm, n_beads, rows, bins.height)
        assert rule == "offdiagonal_positions"
        rows_of_beads = beadmap.positions_to_bins(gsdb.rule_positions(rows, rule), bins, stem)
        assert bins["start"].to_numpy()[rows_of_beads].tolist() == expected["bead_positions"][stem].tolist()
        assert n_beads < bins.height
    assert len(server.requests_for(".tar.gz")) == 1


def test_structure_host_404_falls_back_to_the_mirror(tmp_path, catalogue):
    with GsdbTestServer() as server:
        server.primary_down = True
        source, _ = quiet_resolve(server.section, catalogue)
        primary, mirror = source.structure_urls(1)
        assert gsdb.download_first((primary, mirror), tmp_path / "chr1.pdb") == mirror
        assert [status for _, _, status in server.requests_for("/chr1.pdb")] == [404, 200]
        assert read_pdb(tmp_path / "chr1.pdb").shape[0] == 10


def test_both_hosts_failing_names_both_addresses(tmp_path, catalogue):
    with GsdbTestServer() as server:
        server.primary_down = server.mirror_down = True
        source, _ = quiet_resolve(server.section, catalogue)
        primary, mirror = source.structure_urls("X")
        with pytest.raises(InputError) as info:
            gsdb.download_first((primary, mirror), tmp_path / "chrX.pdb")
        assert str(info.value) == f"cannot download chrX.pdb: {primary}: HTTP 404; {mirror}: HTTP 404"
        assert not (tmp_path / "chrX.pdb").exists()


def test_server_archive_layouts():
    data = synthetic_gsdb_dataset()
    for leading, prefix in ((True, f"{FILENAME}/"), (False, "")):
        with tarfile.open(fileobj=io.BytesIO(build_archive(data, leading_folder=leading))) as archive:
            names = archive.getnames()
        assert f"{prefix}VC/chr1_list.txt" in names and f"{prefix}{FILENAME}_mapping.txt" in names
    assert GSDB_ID == "ZZ0001SY"
