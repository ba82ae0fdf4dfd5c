"""Run configurations: YAML validated against workflow/schemas/config.schema.yaml, defaults filled.

The same schema validates the Snakemake config (``workflow/rules/common.smk``) and the CLI's
``--config``; a bad file stops with one line naming the key and what is wrong.
"""

import pathlib

import yaml

from theory.inference.run import ConfigError  # noqa: F401 (raised here and by the run object)

SCHEMA = pathlib.Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


def _schema():
    with open(SCHEMA) as handle:
        return yaml.safe_load(handle)


def fill_defaults(node, schema):
    """Recursively insert schema defaults for absent keys (objects only)."""
    if schema.get("type") != "object" or not isinstance(node, dict):
        return node
    for key, sub in schema.get("properties", {}).items():
        if key not in node and "default" in sub:
            node[key] = yaml.safe_load(yaml.safe_dump(sub["default"]))
        if key in node:
            fill_defaults(node[key], sub)
    return node


def validate(config, source="config"):
    """Fill defaults into ``config`` (a dict) and validate it; ConfigError names the key."""
    import jsonschema

    if not isinstance(config, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of keys to values")
    schema = _schema()
    beam = config.get("beam")
    explicit_sqrt_s = isinstance(beam, dict) and "sqrt_s" in beam
    fill_defaults(config, schema)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        key = ".".join(str(p) for p in err.path) or "(top level)"
        raise ConfigError(f"{source}: key '{key}': {err.message}")
    _check_cuts(config["cuts"], config, source, "cuts")
    config["beam"]["sqrt_s"] = _sqrt_s(config["beam"], explicit_sqrt_s, source, "beam")
    if config["datasets"]:  # the events section is Stats-2's (the workflow's default config sets it)
        for name, ds in config["datasets"].items():
            _resolve_dataset(name, ds, config, source)
    return config


def _check_cuts(cuts, config, source, where):
    if cuts["q2_min"] < config["theory"]["mu0_2"]:
        raise ConfigError(f"{source}: key '{where}.q2_min': {cuts['q2_min']} lies below theory.mu0_2; raise it")
    if cuts["y_min"] >= cuts["y_max"]:
        raise ConfigError(f"{source}: key '{where}.y_min': must be below {where}.y_max")


def _sqrt_s(beam, explicit_sqrt_s, source, where):
    """sqrt(s) of a beam section or data set: from its ePIC setting unless custom."""
    setting = beam["setting"]
    if setting == "custom":
        return beam["sqrt_s"]
    from theory.dis.kinematics import EPIC_BEAMS, sqrt_s_of

    value = sqrt_s_of(*EPIC_BEAMS[setting])
    if explicit_sqrt_s and abs(beam["sqrt_s"] - value) > 1e-9 * value:
        raise ConfigError(f"{source}: key '{where}.sqrt_s': {beam['sqrt_s']} contradicts {where}.setting "
                          f"{setting} (sqrt(s) = {value:.6g} GeV); give one of the two")  # fmt: skip
    return value


DATASET_DEFAULTS = {"events": 2000.0, "lumi_uncertainty": 0.02}
"""Defaults of a listed data set's own keys (the beam and cuts keys come from those sections)."""


def _resolve_dataset(name, ds, config, source):
    """Fill a listed data set from the beam and cuts sections and check it (in place: idempotent)."""
    where = f"datasets.{name}"
    beam = config["beam"]
    explicit_sqrt_s = "sqrt_s" in ds
    ds.setdefault("lepton", beam["lepton"])
    ds.setdefault("polarisation", beam["polarisation"])
    if "setting" not in ds:
        ds["setting"] = "custom" if explicit_sqrt_s else beam["setting"]
    ds.setdefault("sqrt_s", beam["sqrt_s"])
    ds["sqrt_s"] = _sqrt_s(ds, explicit_sqrt_s, source, where)
    ds["cuts"] = {**config["cuts"], **ds.get("cuts", {})}
    _check_cuts(ds["cuts"], config, source, f"{where}.cuts")
    for key, value in DATASET_DEFAULTS.items():
        ds.setdefault(key, value)
    if "nuclear_table" in ds and ds["target"] != "d":
        raise ConfigError(f"{source}: key '{where}.nuclear_table': a nuclear correction needs target d, "
                          f"not {ds['target']}")  # fmt: skip


def load(path):
    """Read, default and validate a YAML config file."""
    path = pathlib.Path(path)
    try:
        with open(path) as handle:
            config = yaml.safe_load(handle) or {}
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config ({err.strerror})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}") from None
    return validate(config, str(path))


def _type(sub):
    t = sub.get("type", "")
    if t == "array" and "items" in sub:
        inner = sub["items"]
        return f"list of {inner.get('type', 'value')}" + (
            f" ({', '.join(map(str, inner['enum']))})" if "enum" in inner else ""
        )
    if t == "object" and "additionalProperties" in sub and isinstance(sub["additionalProperties"], dict):
        return f"mapping of names to {_type(sub['additionalProperties'])}"
    return t + (f": {', '.join(map(str, sub['enum']))}" if "enum" in sub else "")


def _bounds(sub):
    marks = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
    return ", ".join(f"{op} {sub[k]}" for k, op in marks.items() if k in sub)


def _rows(schema, prefix=""):
    for key, sub in schema.get("properties", {}).items():
        name = f"{prefix}{key}"
        default = "(none)"
        if "default" in sub:
            default = (
                "`" + yaml.safe_dump(sub["default"], default_flow_style=True).strip().removesuffix("...").strip() + "`"
            )
        text = " ".join(str(sub.get("description", "")).split()).replace("|", "\\|")
        yield f"| `{name}` | {_type(sub)} | {default} | {_bounds(sub)} | {text} |"
        if sub.get("type") == "object" and "properties" in sub:
            yield from _rows(sub, name + ".")
        entry = sub.get("additionalProperties")
        if sub.get("type") == "object" and isinstance(entry, dict) and "properties" in entry:
            yield from _rows(entry, name + ".<name>.")  # a mapping of named entries (datasets)


def schema_markdown():
    """config/README.md: every config key of the schema with its type, default, bounds and meaning."""
    schema = _schema()
    lines = [
        "# Configuration",
        "",
        "Every key a run config may set, generated from `workflow/schemas/config.schema.yaml` (the one",
        "source: regenerate this file with `python -m theory config-doc > config/README.md`; a test",
        "checks that it is current). Unset keys take their defaults; a bad value stops every command",
        "and the workflow with one line naming the key. Presets: `smoke.yaml` (seconds; the README's",
        "first command and CI), `stats2.yaml` (the seed's Stats-2 run), `nc-3sets.yaml` (three gamma/Z",
        "data sets: e- p at P = -0.7, e+ p, e- d), the `eic-*` and `coverage-*` studies.",
        "",
        "| key | type | default | bounds | meaning |",
        "|---|---|---|---|---|",
        *_rows(schema),
        "",
    ]
    return "\n".join(lines)
