configfile: "config/config.yaml"


module chromapipe:
    snakefile:
        "/path/to/chromapipe/workflow/Snakefile"  # or github("chromapipe/chromapipe", path="workflow/Snakefile", tag="v0.1.0")
    config:
        config


use rule * from chromapipe
