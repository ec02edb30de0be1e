"""Usage errors: exit 2, one line naming the option or variable, the value and what is accepted."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from variant_providers import detect
from variant_providers.settings import MAX_TIMEOUT, InvalidSetting, seconds

from .cli_child import assert_usage_error, cli
from .conftest import FIXTURE_MACHINES

H100 = FIXTURE_MACHINES / "nvidia-h100-sxm-570"
BAD_NUMBERS = ["nan", "inf", "-inf", "1e308", "-3", "0", "abc", ""]


@pytest.mark.parametrize("text", ["nan", "inf", "1e308", "-3", "abc"])
def test_timeout_option_and_variable_accept_only_finite_numbers_in_range(text: str) -> None:
    assert_usage_error(cli("report", "--timeout", text), "--timeout", repr(text), "at most 3600")
    run = cli("report", env={"VARIANT_PROVIDERS_TIMEOUT": text})
    assert_usage_error(run, "VARIANT_PROVIDERS_TIMEOUT", repr(text), "greater than 0")


@pytest.mark.parametrize("value", [math.nan, math.inf, 1e308, -3, 0, True, "abc", "nan"])
def test_the_library_refuses_the_same_timeouts(value: object) -> None:
    with pytest.raises(InvalidSetting, match="timeout"):
        detect(timeout=value, cache=False)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0])
def test_a_live_system_refuses_them_too(value: float) -> None:
    from variant_providers.system import LiveSystem

    with pytest.raises(InvalidSetting, match="timeout"):
        LiveSystem(timeout=value)
    with pytest.raises(InvalidSetting, match="VARIANT_PROVIDERS_TIMEOUT"):
        LiveSystem(environ={"VARIANT_PROVIDERS_TIMEOUT": str(value)})


def test_one_validation_rule() -> None:
    assert seconds(" 2.5 ", "x", maximum=MAX_TIMEOUT) == 2.5
    assert seconds(MAX_TIMEOUT, "x", maximum=MAX_TIMEOUT) == MAX_TIMEOUT
    assert seconds("0", "ttl", maximum=10, allow_zero=True) == 0.0
    for text in BAD_NUMBERS:
        with pytest.raises(InvalidSetting, match=r"^x: "):
            seconds(text, "x", maximum=MAX_TIMEOUT)
    with pytest.raises(InvalidSetting, match="out of range"):
        seconds(10**400, "x", maximum=MAX_TIMEOUT)


@pytest.mark.parametrize(
    ("variable", "value", "accepted"),
    [
        ("VARIANT_PROVIDERS_CACHE_TTL", "abc", "number of seconds"),
        ("VARIANT_PROVIDERS_CACHE_TTL", "-1", "at least 0"),
        # Installed standard plugins' namespaces (ascend, in the test extras) are known too.
        ("VARIANT_PROVIDERS_DISABLE", "amdd", "known: aarch64, amd, "),
        ("VARIANT_PROVIDERS_PLUGINS", "acmee", "known:"),
        ("VARIANT_PROVIDERS_PLUGINS", "-acmee", "known:"),
        ("VARIANT_PROVIDERS_OVERRIDE", "nvidia :: sm_arch", "namespace :: feature :: value"),
        # What the removed VARIANT_PROVIDERS_X86_64_FORCE_LEVEL / _AARCH64_FORCE_FEATURES
        # refused, said with the one override scheme.
        ("VARIANT_PROVIDERS_OVERRIDE", "x86_64 :: level :: V3!", "[a-z0-9_.]+"),
        ("VARIANT_PROVIDERS_OVERRIDE", "aarch64 :: SVE :: on", "[a-z0-9_]+"),
    ],
)
def test_bad_environment_values_are_usage_errors(variable: str, value: str, accepted: str) -> None:
    run = cli("report", env={variable: value})  # a replay would read the recorded variables
    assert_usage_error(run, variable, value.lstrip("-"), accepted)


def test_unknown_names_in_options(tmp_path: Path) -> None:
    assert_usage_error(cli("report", "--only", "nvidai"), "--only", "'nvidai'", "known: ")
    variants = tmp_path / "v.json"
    variants.write_text(
        (Path(__file__).parent / "data/variants/torch-like-v0.2.0.json").read_text()
    )
    run = cli("match", str(variants), "--machine", str(H100), "--forbid", "bogus")
    assert_usage_error(run, "--forbid", "'bogus'", "known: ")
    assert_usage_error(cli("report", "--color", "sometimes"), "--color", "'sometimes'")


def test_conflicting_options(tmp_path: Path) -> None:
    lock = tmp_path / "h100.lock"
    assert cli("report", "--machine", str(H100), "--lock", str(lock)).code == 0
    run = cli("report", "--use-lock", str(lock), "--machine", str(H100))
    assert_usage_error(run, "--use-lock", "--machine")


def test_bad_paths(tmp_path: Path) -> None:
    assert_usage_error(cli("report", "--machine", str(tmp_path / "missing")), "--machine")
    assert_usage_error(cli("report", "--use-lock", str(tmp_path / "missing")), "missing")
    run = cli("report", "--machine", str(H100), "--lock", "/proc/x/y.lock")
    assert_usage_error(run, "--lock", "/proc/x/y.lock")
    assert_usage_error(cli("match", str(tmp_path)), "FILE", "is a directory")
    assert_usage_error(cli("match", str(tmp_path / "none.json")), "none.json")


def test_record_refuses_unusable_directories_before_detecting(tmp_path: Path) -> None:
    assert_usage_error(cli("record", "/proc/x"), "record DIR", "'/proc/x'")
    existing = tmp_path / "file"
    existing.write_text("keep me")
    assert_usage_error(cli("record", str(existing)), "is not a directory")
    assert existing.read_text() == "keep me"
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("")
    assert_usage_error(cli("record", str(busy)), "is not empty")


def test_record_only_does_not_swallow_the_directory(tmp_path: Path) -> None:
    target = tmp_path / "rec"
    run = cli("record", "--only", "x86_64", str(target))
    assert run.code == 0, run.err
    assert (target / "machine.json").is_file()
    assert "x86_64" in run.out


def test_new_provider_refuses_builtins_and_bad_directories(tmp_path: Path) -> None:
    for builtin in ("x86_64", "nvidia"):
        run = cli("new-provider", builtin, str(tmp_path / builtin))
        assert_usage_error(run, f"'{builtin}'", "built-in namespace")
        assert not (tmp_path / builtin).exists()
    assert_usage_error(cli("new-provider", "acme", "/proc/x"), "'/proc/x'")
    existing = tmp_path / "file"
    existing.write_text("")
    assert_usage_error(cli("new-provider", "acme", str(existing)), "not a directory")


def test_argparse_errors_are_one_line_too() -> None:
    assert_usage_error(cli("report", "--bogus"), "--bogus", "--help")
    assert_usage_error(cli(), "COMMAND")


@pytest.mark.parametrize(
    ("variable", "value", "accepted"),
    [
        ("NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION", "banana", "expected e.g. 12.8"),
        ("NV_VARIANT_PROVIDER_FORCE_SM_ARCH", "9", "major.minor"),
        ("AMD_VARIANT_PROVIDER_FORCE_GFX_ARCH", "xyz", "gfx followed by its version"),
        ("AMD_VARIANT_PROVIDER_FORCE_GFX_ARCH", "gfx942,gfxzz", "'gfxzz'"),
        ("AMD_VARIANT_PROVIDER_FORCE_ROCM_VERSION", "six", "X.Y.Z or X.Y"),
        ("INTEL_VARIANT_PROVIDER_FORCE_DEVICE_IP", "12.99.0", "known: "),
    ],
)
def test_invalid_vendor_force_variables_are_usage_errors(
    variable: str, value: str, accepted: str
) -> None:
    run = cli("report", "--no-cache", env={variable: value})
    assert_usage_error(run, variable, value.rsplit(",", maxsplit=1)[-1], accepted)


def test_vendor_force_variables_are_named_like_our_own_overrides() -> None:
    env = {
        "NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "12.8",
        "NV_VARIANT_PROVIDER_FORCE_SM_ARCH": "9.0",
        "AMD_VARIANT_PROVIDER_FORCE_GFX_ARCH": "gfx942, gfx90a",
        "VARIANT_PROVIDERS_OVERRIDE": "amd :: rocm_version :: 6.4",
    }
    run = cli("report", "--json", "--no-cache", env=env)
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    rows = {(o["namespace"], o["feature"]): o for o in doc["overrides"]}
    assert rows[("amd", "gfx_arch")]["variable"] == "AMD_VARIANT_PROVIDER_FORCE_GFX_ARCH"
    assert rows[("amd", "gfx_arch")]["values"] == ["gfx942", "gfx90a"]
    assert rows[("amd", "gfx_arch")]["value"] == "gfx942, gfx90a"
    assert rows[("nvidia", "sm_arch")]["variable"] == "NV_VARIANT_PROVIDER_FORCE_SM_ARCH"
    lower = rows[("nvidia", "cuda_version_lower_bound")]
    assert lower["variable"] == "NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION"
    assert lower["values"][0] == "12.8"
    assert rows[("amd", "rocm_version")]["variable"] == "VARIANT_PROVIDERS_OVERRIDE"
    providers = {p["namespace"]: p for p in doc["providers"]}
    assert providers["amd"]["overridden"] == {
        "gfx_arch": "AMD_VARIANT_PROVIDER_FORCE_GFX_ARCH",
        "rocm_version": "VARIANT_PROVIDERS_OVERRIDE",
    }
    text = cli("report", "--no-cache", env=env, columns=120).out
    assert "amd :: gfx_arch :: gfx942   [override: AMD_VARIANT_PROVIDER_FORCE_GFX_ARCH]" in text
    assert "(set by AMD_VARIANT_PROVIDER_FORCE_GFX_ARCH=gfx942, gfx90a)" in text
    # An empty value means unset, as the vendors read it.
    quiet = json.loads(cli("report", "--json", env={"NV_VARIANT_PROVIDER_FORCE_SM_ARCH": ""}).out)
    assert not [o for o in quiet["overrides"] if o["variable"].startswith("NV_")]


def test_the_library_refuses_invalid_force_values_too() -> None:
    from variant_providers.overrides import InvalidOverride
    from variant_providers.system import LiveSystem

    system = LiveSystem(environ={"AMD_VARIANT_PROVIDER_FORCE_GFX_ARCH": "xyz"})
    with pytest.raises(InvalidOverride, match="AMD_VARIANT_PROVIDER_FORCE_GFX_ARCH"):
        detect(system, cache=False)


def test_a_refused_record_leaves_no_directory_behind(tmp_path: Path) -> None:
    target = tmp_path / "rec"
    run = cli("record", str(target), env={"VARIANT_PROVIDERS_DISABLE": "nvidai"})
    assert_usage_error(run, "VARIANT_PROVIDERS_DISABLE", "'nvidai'")
    assert not target.exists()
