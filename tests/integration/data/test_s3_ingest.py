"""s3:// inputs go through fsspec/s3fs against a real S3-protocol server (moto's, on loopback)."""

from __future__ import annotations

import boto3
import pytest
from moto.server import ThreadedMotoServer

from pricing.data.home import HomeData
from pricing.data.ingest import ingest_file
from pricing.data.loaders import LoadError
from pricing.processes import free_port

pytestmark = pytest.mark.integration

SEED_CSV = (
    "Product_ID,Date,Sales,Price,Competitor_Price,Inventory\n"
    "A,2024-01-01,10,2.5,2.4,100\nA,2024-01-02,12,2.5,2.6,88\nB,2024-01-01,3,9.99,10.5,20\n"
    "B,2024-01-02,4,9.49,10.5,16\n"
)


@pytest.fixture
def s3_endpoint(monkeypatch):
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket="retail")
    client.put_object(Bucket="retail", Key="seed/sales.csv", Body=SEED_CSV.encode())
    yield endpoint
    server.stop()


def test_ingest_from_s3_url(tmp_path, s3_endpoint):
    home = HomeData(tmp_path / "data")
    summary = ingest_file(home, "s3://retail/seed/sales.csv", s3_endpoint_url=s3_endpoint)
    assert (summary.rows, summary.products, summary.freq) == (4, 2, "daily")
    assert home.read("inventory")["on_hand"].tolist() == [100.0, 88.0, 20.0, 16.0]


def test_missing_s3_object_is_a_clear_error(tmp_path, s3_endpoint):
    with pytest.raises(LoadError, match=r"s3://retail/nope\.csv"):
        ingest_file(
            HomeData(tmp_path / "data"), "s3://retail/nope.csv", s3_endpoint_url=s3_endpoint
        )
