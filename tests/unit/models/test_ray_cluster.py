"""The ``ray`` settings: both spellings of the address, the nested fields, refusals, and a
clear error, at once, when nothing answers at the configured address."""

from __future__ import annotations

import time

import pytest
from pydantic import ValidationError

from pricing.models.ray_cluster import RayClusterError, RaySettings, ray_connection
from pricing.processes import free_port
from pricing.settings import Settings


def test_no_address_means_a_private_ray_with_one_env_runner():
    ray = Settings().ray
    assert ray == RaySettings()
    assert (ray.address, ray.env_runners, ray.envs_per_runner, ray.learners) == (None, 1, None, 0)
    assert ray.cpus == 1


def test_nested_variables_set_every_field(monkeypatch):
    for name, value in {
        "ADDRESS": "head:6379",
        "ENV_RUNNERS": "4",
        "ENVS_PER_RUNNER": "16",
        "LEARNERS": "2",
        "CPUS_PER_ENV_RUNNER": "2",
        "CPUS_PER_LEARNER": "3",
    }.items():
        monkeypatch.setenv(f"PRICING_RAY__{name}", value)
    ray = Settings().ray
    assert ray == RaySettings(
        address="head:6379",
        env_runners=4,
        envs_per_runner=16,
        learners=2,
        cpus_per_env_runner=2,
        cpus_per_learner=3,
    )
    assert ray.cpus == 4 * 2 + 2 * 3


@pytest.mark.parametrize("address", ["auto", "10.0.0.5:6379", "ray://head.example:10001"])
def test_flat_address_variable_names_the_cluster(monkeypatch, address):
    monkeypatch.setenv("PRICING_RAY_ADDRESS", address)
    assert Settings().ray == RaySettings(address=address)


def test_flat_address_in_a_dotenv_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("PRICING_RAY_ADDRESS=auto\n")
    assert Settings(_env_file=env_file).ray.address == "auto"


def test_a_json_object_and_the_exported_environment_round_trip(monkeypatch):
    monkeypatch.setenv("PRICING_RAY", '{"address": "ray://head:10001", "env_runners": 3}')
    ray = Settings().ray
    assert ray == RaySettings(address="ray://head:10001", env_runners=3)
    exported = Settings(ray=ray).as_environment()["PRICING_RAY"]
    monkeypatch.setenv("PRICING_RAY", exported)
    assert Settings().ray == ray


def test_an_empty_address_is_no_address(monkeypatch):
    monkeypatch.setenv("PRICING_RAY__ADDRESS", "")
    assert Settings().ray.address is None


@pytest.mark.parametrize(
    ("variable", "value", "match"),
    [
        ("PRICING_RAY__ADDRESS", "head", "host:port or ray://host:port"),
        ("PRICING_RAY_ADDRESS", "http://head:8265", "host:port or ray://host:port"),
        ("PRICING_RAY__ENV_RUNNERS", "-1", "greater than or equal to 0"),
        ("PRICING_RAY__CPUS_PER_LEARNER", "0", "greater than or equal to 1"),
        ("PRICING_RAY", '{"gpus_per_learner": 1}', "Extra inputs are not permitted"),
    ],
)
def test_malformed_settings_are_refused(monkeypatch, variable, value, match):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=match):
        Settings()


def test_an_address_nobody_answers_at_fails_fast_naming_it():
    address = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    with (
        pytest.raises(RayClusterError, match=f"no Ray cluster answers at {address}"),
        ray_connection(RaySettings(address=address, connect_timeout=2)),
    ):
        pass
    assert time.monotonic() - started < 5
