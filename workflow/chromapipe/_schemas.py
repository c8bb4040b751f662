"""The workflow's schemas, parsed: written by ``python -m chromapipe.schema`` (do not edit; see
chromapipe.schema). Each document is keyed by the size and CRC-32 of its file."""

# fmt: off
SCHEMAS = {
    # workflow/schemas/config.schema.yaml
    "13620:a7117c04": {'$schema': 'https://json-schema.org/draft/2020-12/schema',
 'description': 'Configuration of the chromApipe workflow. Every key is documented in config/README.md. '
                'Relative paths are looked up in the working directory, then in the repository.\n',
 'type': 'object',
 'additionalProperties': False,
 'properties': {'chromosomes': {'description': 'Chromosomes to process: a list ([19, 21, X]) or a '
                                               'comma-separated string ("19,21,X"); 1-22, X and Y, with or '
                                               "without a 'chr' prefix.\n",
                                'oneOf': [{'type': 'array',
                                           'minItems': 1,
                                           'items': {'type': ['string', 'integer']}},
                                          {'type': 'string', 'minLength': 1},
                                          {'type': 'integer'}]},
                'gsdb': {'description': 'A GSDB dataset by its identifiers (`chromapipe gsdb --search TEXT` '
                                        "finds them). The workflow derives each chromosome's structure "
                                        'address (with a fallback mirror), the dataset archive and the '
                                        'contact lists and bin map inside it, the cell type, species and '
                                        'assembly. Keys given elsewhere (structures.path, bead_map, mapping, '
                                        'assembly) take precedence.\n',
                         'type': 'object',
                         'additionalProperties': False,
                         'properties': {'id': {'type': 'string',
                                               'minLength': 1,
                                               'description': 'GSDB ID of the experiment, e.g. AX9716PF'},
                                        'filename': {'type': 'string',
                                                     'minLength': 1,
                                                     'description': 'the processed Hi-C file, e.g. '
                                                                    'GSE105544_ENCFF010WBP'},
                                        'normalization': {'type': 'string',
                                                          'description': 'VC, KR or Yaffe_Tanay (default: '
                                                                         "GSDB's for the experiment)"},
                                        'algorithm': {'type': 'string',
                                                      'minLength': 1,
                                                      'description': '3DMax, LorDG, Chromosome3D, ShRec3D, '
                                                                     '...'},
                                        'resolution': {'type': ['string', 'integer'],
                                                       'description': '500kb, 1mb, ... (only for filenames '
                                                                      'with several)'},
                                        'structures': {'type': 'string',
                                                       'description': "base URL of the structures (GSDB's S3 "
                                                                      'host by default)'},
                                        'mirror': {'type': ['string', 'null'],
                                                   'description': 'fallback base URL of the structures (the '
                                                                  'older host by default)'},
                                        'datasets': {'type': 'string',
                                                     'description': 'base URL of the dataset archives'},
                                        'assembly': {'type': 'string',
                                                     'description': 'for a dataset the shipped catalogue '
                                                                    'lacks (GRCh37, hg19, mm10, ...)'},
                                        'archive': {'type': 'string',
                                                    'description': 'A local copy of the dataset archive '
                                                                   '({filename}.tar.gz) or of its extracted '
                                                                   'folder; used instead of downloading '
                                                                   'it.\n'}},
                         'required': ['id', 'filename', 'algorithm']},
                'mapping': {'description': "Genome-wide bin map (GSDB layout 'bin chr start end'), a path or "
                                           'URL. Required unless the gsdb section gives it (from the dataset '
                                           'archive).\n',
                            'type': 'string',
                            'minLength': 1},
                'outdir': {'description': 'Where results are written (relative to the working directory, or '
                                          'absolute).',
                           'type': 'string',
                           'minLength': 1,
                           'default': 'results'},
                'structures': {'description': 'Where the 3D structures come from.',
                               'type': 'object',
                               'additionalProperties': False,
                               'properties': {'path': {'description': 'Local path template with {chr}, e.g. '
                                                                      'data/chr{chr}.pdb; or, with archive, '
                                                                      "the member's path; or one genome-wide "
                                                                      'file without {chr} (e.g. cell.3dg), '
                                                                      'from which each chromosome is '
                                                                      'taken.\n',
                                                       'type': 'string'},
                                              'url': {'description': 'URL template with {chr}, fetched '
                                                                     "through Snakemake's storage plugins "
                                                                     'when path is empty.',
                                                      'type': 'string'},
                                              'archive': {'description': 'A zip/tar archive (path or URL) '
                                                                         'holding the structures; path names '
                                                                         'the member.',
                                                          'type': 'string'},
                                              'format': {'description': "The structure files' format "
                                                                        '(README, "Structures from other '
                                                                        'sources"); by default from the '
                                                                        'extension (and, for .pdb, .3dg and '
                                                                        '.cif, the content).\n',
                                                         'type': 'string',
                                                         'enum': ['pdb',
                                                                  'nucdyn-pdb',
                                                                  'dipc-3dg',
                                                                  'hickit-3dg',
                                                                  'nucle3d',
                                                                  'n3d',
                                                                  'dipc-cif',
                                                                  'ihm',
                                                                  'tadbit-xyz',
                                                                  'pastis']},
                                              'haplotype': {'description': 'The homolog to use where a '
                                                                           'diploid file holds two of a '
                                                                           "chromosome (pat or mat; hickit's "
                                                                           "a/b and alabtools' A/B copies "
                                                                           'read as pat/mat). Homologs are '
                                                                           'never averaged.\n',
                                                            'type': 'string',
                                                            'enum': ['pat', 'mat']}},
                               'default': {}},
                'bead_map': {'description': 'How beads are paired with bins.',
                             'type': 'object',
                             'additionalProperties': False,
                             'properties': {'source': {'description': 'contacts (bead k = the k-th position '
                                                                      "of the structure's contact list "
                                                                      'taking part in an off-diagonal '
                                                                      'contact: 3DMax, LorDG), list (the '
                                                                      'k-th position of any positive row, '
                                                                      'the diagonal included: Chromosome3D, '
                                                                      'ShRec3D), mapping3dmax (3DMax '
                                                                      'coordinate mapping) or sequential '
                                                                      '(bead k = bin k), or positions (each '
                                                                      "bead's bin start as the structure "
                                                                      'file itself writes it: .3dg, .n3d, '
                                                                      '.nucle3d, nuc_dynamics PDB, '
                                                                      'mmCIF/IHM, TADbit .xyz).\n',
                                                       'type': 'string',
                                                       'enum': ['contacts',
                                                                'list',
                                                                'mapping3dmax',
                                                                'sequential',
                                                                'positions'],
                                                       'default': 'contacts'},
                                            'path': {'type': 'string'},
                                            'url': {'type': 'string'},
                                            'archive': {'type': 'string'}},
                             'default': {}},
                'annotations': {'description': 'Where the per-bin annotations come from.',
                                'type': 'object',
                                'additionalProperties': False,
                                'properties': {'source': {'description': 'files (a local FASTA and '
                                                                         'GTF/GFF3), ensembl (the Ensembl '
                                                                         'REST API) or table (existing '
                                                                         'per-bin tables, e.g. the Nextflow '
                                                                         "pipeline's "
                                                                         'chr{N}_annotations.csv).\n',
                                                          'type': 'string',
                                                          'enum': ['files', 'ensembl', 'table'],
                                                          'default': 'files'},
                                               'table': {'description': 'table - path or URL template with '
                                                                        '{chr} of the per-bin annotation '
                                                                        'tables (CSV or Parquet).',
                                                         'type': 'string'},
                                               'fasta': {'description': 'files - reference FASTA of the bin '
                                                                        "map's assembly: a path or URL, "
                                                                        'plain, gzip or bgzip (downloaded '
                                                                        'and indexed once into '
                                                                        'annotations.references unless it is '
                                                                        'a local indexed file).\n',
                                                         'type': 'string'},
                                               'gtf': {'description': 'files - gene models (GTF or GFF3, '
                                                                      'optionally gzip), a path or URL; '
                                                                      'parsed once into a per-gene table.',
                                                       'type': 'string'},
                                               'references': {'description': 'files - the folder where '
                                                                             'references given by URL (or '
                                                                             'not indexed) are prepared '
                                                                             'once: the FASTA as bgzip with '
                                                                             'its .fai/.gzi, the GTF as a '
                                                                             'per-gene table, under '
                                                                             '{assembly}/. Shared by every '
                                                                             'run that names the same '
                                                                             'folder.\n',
                                                              'type': 'string',
                                                              'minLength': 1,
                                                              'default': 'references'},
                                               'host': {'description': 'ensembl - base URL of the REST '
                                                                       "server; empty for Ensembl's host of "
                                                                       'the assembly.',
                                                        'type': 'string',
                                                        'default': ''},
                                               'max_rps': {'description': 'ensembl - requests per second, at '
                                                                          'most, shared by all jobs using '
                                                                          'the cache.',
                                                           'type': 'number',
                                                           'exclusiveMinimum': 0,
                                                           'maximum': 15,
                                                           'default': 15},
                                               'cache': {'description': 'ensembl - folder of the answer '
                                                                        'cache (shared between jobs and '
                                                                        'runs).',
                                                         'type': 'string',
                                                         'default': '.cache/ensembl'},
                                               'release': {'description': "ensembl - the server's Ensembl "
                                                                          'release, if known (saves one GET '
                                                                          '/info/data per host and cache).',
                                                           'type': ['string', 'integer']},
                                               'batch_size': {'description': 'ensembl - regions per POST '
                                                                             '/sequence/region request: 10 x '
                                                                             '500 kb is a 5 MB answer; a '
                                                                             'POST that times out twice is '
                                                                             'split in two.\n',
                                                              'type': 'integer',
                                                              'minimum': 1,
                                                              'maximum': 50,
                                                              'default': 10}},
                                'default': {}},
                'assembly': {'description': "Assembly of the bin map's coordinates, recorded in the outputs: "
                                            'GRCh37 (hg19), GRCh38 (hg38), NCBIM37 (mm9), GRCm38 (mm10), or '
                                            'any name for local files. With a gsdb section it defaults to '
                                            "the dataset's (GSDB's human data are GRCh37). The ensembl "
                                            'source needs one of the four (it picks the REST host and '
                                            'species).\n',
                             'type': 'string',
                             'minLength': 1},
                'legacy': {'description': "Reproduce the Nextflow pipeline's compiled table (row-order "
                                          'pairing, Float64).',
                           'type': 'boolean',
                           'default': False},
                'batch': {'description': 'How the per-chromosome steps are batched into jobs. chromosome - '
                                         'one job per chromosome and step; dataset - one job per step and '
                                         'dataset covering all its chromosomes (fewer jobs and submissions '
                                         'for many small structures). The outputs are the same files, byte '
                                         'for byte.\n',
                          'type': 'string',
                          'enum': ['chromosome', 'dataset'],
                          'default': 'chromosome'},
                'surface': {'type': 'object',
                            'additionalProperties': False,
                            'properties': {'mode': {'description': 'all - every filled voxel with an empty '
                                                                   'neighbour, as the original; exterior - '
                                                                   'only voxels facing empty space connected '
                                                                   'to the outside.\n',
                                                    'type': 'string',
                                                    'enum': ['all', 'exterior'],
                                                    'default': 'all'},
                                           'grid': {'description': 'auto - the original grid where it keeps '
                                                                   ">= 99% of the sampled points (GSDB's "
                                                                   'structures), else the fitted grid '
                                                                   '(single-cell structures away from the '
                                                                   'origin); original - the grid anchored at '
                                                                   '0 after the shift, points past its edge '
                                                                   'dropped, as the original; fitted - the '
                                                                   'grid anchored at the minimum sampled '
                                                                   'point, nothing dropped.\n',
                                                    'type': 'string',
                                                    'enum': ['auto', 'original', 'fitted'],
                                                    'default': 'auto'}},
                            'default': {}},
                'features': {'description': 'Parameters of the local structure features of the physical '
                                            'table.',
                             'type': 'object',
                             'additionalProperties': False,
                             'properties': {'rg_window': {'description': 'rg_local - beads either side of '
                                                                         'bead i in its window (i-w..i+w, '
                                                                         'clipped to the chain).\n',
                                                          'type': 'integer',
                                                          'minimum': 0,
                                                          'default': 5},
                                            'neighbour_radius': {'description': 'neighbours - the radius R '
                                                                                'within which beads j (|i - '
                                                                                'j| >= 2) are counted, as a '
                                                                                "multiple of the structure's "
                                                                                'median bond length.\n',
                                                                 'type': 'number',
                                                                 'exclusiveMinimum': 0,
                                                                 'default': 1.5}},
                             'default': {}},
                'tracks': {'description': 'Genomic tracks put on the bins, one column each in the '
                                          'annotations and compiled tables: {name, path, stat}. name - the '
                                          'column (letters, digits, underscores); path - a local file or URL '
                                          '(downloaded once) of a bigWig (.bw, .bigWig), bedGraph '
                                          '(.bedGraph, .bdg, .bg) or BED (.bed), optionally gzip; stat - '
                                          'mean (default) or max for bigWig/bedGraph, coverage (default) or '
                                          'count for BED.\n',
                           'type': 'array',
                           'items': {'type': 'object',
                                     'additionalProperties': False,
                                     'required': ['name', 'path'],
                                     'properties': {'name': {'type': 'string',
                                                             'pattern': '^[A-Za-z][A-Za-z0-9_]*$'},
                                                    'path': {'type': 'string', 'minLength': 1},
                                                    'stat': {'type': 'string',
                                                             'enum': ['mean', 'max', 'coverage', 'count']}}},
                           'default': []},
                'compartments': {'description': 'A/B compartments (compartment_e1, compartment) from the '
                                                'contact list the structure was built from: true reads the '
                                                "bead map's contact list (bead_map.source contacts or list, "
                                                'and GSDB datasets); a path or URL template with {chr} reads '
                                                "any 'pos1 pos2 count' list; false (the default) computes "
                                                'none. The mapping form {enabled, contacts} says the same.\n',
                                 'oneOf': [{'type': ['boolean', 'string']},
                                           {'type': 'object',
                                            'additionalProperties': False,
                                            'properties': {'enabled': {'type': 'boolean', 'default': True},
                                                           'contacts': {'description': 'a path or URL '
                                                                                       'template with {chr} '
                                                                                       'of the contact lists '
                                                                                       '(default the bead '
                                                                                       "map's)",
                                                                        'type': 'string',
                                                                        'minLength': 1}}}],
                                 'default': False},
                'report': {'description': "What the report's figures show.",
                           'type': 'object',
                           'additionalProperties': False,
                           'properties': {'colour_by': {'description': "The compiled table's column the 3D "
                                                                       'structure figures colour beads by: a '
                                                                       'physical feature (dist_surface, '
                                                                       'rg_local, ...), an annotation, '
                                                                       'compartment or compartment_e1 (with '
                                                                       "compartments on), or a track's name. "
                                                                       'Also the B-factor of the annotated '
                                                                       'mmCIF '
                                                                       '(structures_annotated/chr{N}.cif; '
                                                                       'compartment writes '
                                                                       'compartment_e1).\n',
                                                        'type': 'string',
                                                        'default': 'dist_surface'},
                                          'bootstrap_resamples': {'description': 'Resamples of the '
                                                                                 'moving-block bootstrap '
                                                                                 "behind the correlations' "
                                                                                 'intervals '
                                                                                 '(summary/correlations.*: '
                                                                                 'ci_low, ci_high, '
                                                                                 'significant). 1000 by '
                                                                                 'default; fewer is '
                                                                                 'proportionally cheaper '
                                                                                 '(the bootstrap is most of '
                                                                                 "the summary's time on a "
                                                                                 'whole cell at 5 kb: 1.2 M '
                                                                                 'beads) and the first '
                                                                                 'resamples are the same '
                                                                                 'draws, but the 2.5th and '
                                                                                 '97.5th percentiles rest on '
                                                                                 'fewer resamples, so the '
                                                                                 'interval bounds carry more '
                                                                                 'Monte Carlo noise.\n',
                                                                  'type': 'integer',
                                                                  'minimum': 20,
                                                                  'default': 1000},
                                          'chromosome_figures': {'description': 'Whether the run draws each '
                                                                                "chromosome's three figures "
                                                                                '(figures/chr{N}_tracks.png, '
                                                                                '_structure.png, '
                                                                                '_correlation.png; the '
                                                                                'figures rule). true by '
                                                                                'default. false leaves them '
                                                                                'out of the run and of the '
                                                                                'HTML report, and nothing '
                                                                                'else: every table, the '
                                                                                'summary and its figures, '
                                                                                'the annotated structures '
                                                                                'are the same. For runs of '
                                                                                'many datasets, where '
                                                                                'drawing them is most of the '
                                                                                'time '
                                                                                '(tests/benchmarks/bench_datasets.py).\n',
                                                                 'type': 'boolean',
                                                                 'default': True}},
                           'default': {}},
                'datasets': {'description': 'A datasets sheet (TSV, e.g. config/datasets.tsv, validated by '
                                            'schemas/datasets.schema.yaml) listing several datasets to run '
                                            'side by side; outputs go to {outdir}/{dataset}/ and '
                                            '{outdir}/comparison/ compares them. Without it the config is '
                                            "one dataset with today's paths.\n",
                             'type': 'string',
                             'minLength': 1},
                'container': {'description': 'Container image of the jobs (with --software-deployment-method '
                                             'apptainer); by default the image named in '
                                             'profiles/aws/config.yaml.\n',
                              'type': 'string',
                              'minLength': 1}},
 'required': ['chromosomes']},
    # workflow/schemas/datasets.schema.yaml
    "2625:7129efd8": {'$schema': 'https://json-schema.org/draft/2020-12/schema',
 'description': 'One row of the datasets sheet (config key `datasets`, e.g. config/datasets.tsv): a dataset '
                'by name, either a GSDB source (gsdb_id, gsdb_filename, gsdb_algorithm) or local structure '
                'files (structures, format, bead map). Empty cells are absent keys. The other settings '
                "(chromosomes, annotations, surface) are the config's, shared by every dataset.\n",
 'type': 'object',
 'additionalProperties': False,
 'properties': {'dataset': {'description': 'Name of the dataset; its outputs go to {outdir}/{dataset}/.',
                            'type': 'string',
                            'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$'},
                'structures': {'description': 'Path template with {chr} of the structure files, or one '
                                              'genome-wide file.',
                               'type': 'string'},
                'format': {'description': "The structure files' format (default from the extension).",
                           'type': 'string',
                           'enum': ['pdb',
                                    'nucdyn-pdb',
                                    'dipc-3dg',
                                    'hickit-3dg',
                                    'nucle3d',
                                    'n3d',
                                    'dipc-cif',
                                    'ihm',
                                    'tadbit-xyz',
                                    'pastis']},
                'haplotype': {'description': 'The homolog of a diploid file to use (default both, kept '
                                             'apart).',
                              'type': 'string',
                              'enum': ['pat', 'mat']},
                'bead_map': {'description': "How beads pair with bins (as the config's bead_map.source).",
                             'type': 'string',
                             'enum': ['contacts', 'list', 'mapping3dmax', 'sequential', 'positions']},
                'bead_map_path': {'description': 'Path template with {chr} of the bead-map files (contacts, '
                                                 'list, mapping3dmax).',
                                  'type': 'string'},
                'mapping': {'description': "The genome-wide bin map (default the config's mapping; a GSDB "
                                           "row's own).",
                            'type': 'string'},
                'assembly': {'description': "Assembly of the bin map (default the config's; a GSDB row's "
                                            'own).',
                             'type': 'string'},
                'species': {'description': 'Species of the dataset, recorded in the outputs (e.g. human, '
                                           'mouse).',
                            'type': 'string'},
                'gsdb_id': {'type': 'string', 'description': 'GSDB ID of the experiment'},
                'gsdb_filename': {'type': 'string', 'description': 'the processed Hi-C file'},
                'gsdb_algorithm': {'type': 'string', 'description': 'the reconstruction algorithm'},
                'gsdb_resolution': {'type': 'string',
                                    'description': 'resolution (only for filenames with several)'},
                'gsdb_archive': {'type': 'string', 'description': 'a local copy of the dataset archive'},
                'gsdb_normalization': {'type': 'string',
                                       'description': "VC, KR or Yaffe_Tanay (default: GSDB's for the "
                                                      'experiment)'},
                'gsdb_structures': {'type': 'string',
                                    'description': "base URL of the structures (GSDB's host by default)"},
                'gsdb_mirror': {'type': 'string',
                                'description': 'fallback base URL of the structures (the older host by '
                                               'default)'},
                'gsdb_datasets': {'type': 'string',
                                  'description': "base URL of the dataset archives (GSDB's by default)"},
                'description': {'type': 'string', 'description': 'free text'}},
 'required': ['dataset']},
}
# fmt: on
