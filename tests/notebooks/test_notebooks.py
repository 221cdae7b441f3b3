"""The notebooks run top to bottom (nbclient, the venv's ipykernel) and say what they should.

Each notebook executes in a fresh kernel in ``notebooks/`` (as Jupyter runs it); the tests
then run a few cells of their own in the same kernel to read the results back. Notebooks
are stored without outputs: ``test_notebooks_are_stored_without_outputs`` is not marked,
so even a quick run enforces it.
"""

from __future__ import annotations

import json
import pathlib
import time

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[2] / "notebooks"
TIMEOUT_SECONDS = 300


def execute(name: str, *extra_cells: str) -> tuple[list[str], float]:
    """Run the notebook, then ``extra_cells``; return each extra cell's printed text and the notebook's run time."""
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    cells_in_notebook = len(notebook.cells)
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in extra_cells]
    client = NotebookClient(
        notebook, timeout=TIMEOUT_SECONDS, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    started = time.monotonic()
    client.execute()
    elapsed = time.monotonic() - started
    texts = []
    for cell in notebook.cells[cells_in_notebook:]:
        texts.append("".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream"))
    return texts, elapsed


def test_notebooks_are_stored_without_outputs():
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert notebooks, "no notebooks found"
    dirty = []
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        for number, cell in enumerate(notebook.cells, 1):
            if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
                dirty.append(f"{path.name} cell {number}")
    assert not dirty, (
        "notebooks must be stored without outputs (clear them: "
        "jupyter nbconvert --clear-output --inplace notebooks/*.ipynb): " + ", ".join(dirty)
    )


@pytest.mark.notebook
def test_cost_estimates_reproduces_the_seed_example():
    (figures,), elapsed = execute(
        "cost_estimates.ipynb",
        """
import json
print(json.dumps({
    "storage": str(seed_storage_usd), "transfer": str(seed_transfer_usd), "total": str(seed_total_usd),
    "with_requests": str(seed_with_requests_usd),
    "fits_budget": len(within_budget), "options": len(options),
    "free_tier": [str(usd(total)) for _, total in free_tier_rows],
}))
""",
    )
    figures = json.loads(figures)
    assert (figures["storage"], figures["transfer"], figures["total"]) == ("1.15", "4.25", "5.40")
    assert figures["with_requests"] == "5.40"  # requests are negligible, as the seed says
    assert figures["free_tier"] == ["5.40", "1.15", "1.04"]  # none; CloudFront's 1 TB; and S3's 5 GB
    assert 0 < figures["fits_budget"] < figures["options"]
    print(f"cost_estimates.ipynb ran in {elapsed:.1f} s")


READ_BACK = """
import json

from s3video_sidecar.sdk import cdn

distribution_config = cloudfront.get_distribution_config(Id=distribution.id)["DistributionConfig"]
public_key_pem = cloudfront.get_public_key(Id=signing_key.public_key_id)["PublicKey"]["PublicKeyConfig"]["EncodedKey"]
print(json.dumps({
    "cors": s3.get_bucket_cors(Bucket=BUCKET)["CORSRules"],
    "public_access": s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"],
    "ownership": s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"],
    "lifecycle": s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"],
    "bucket_policy": json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"]),
    "origin": distribution_config["Origins"]["Items"][0],
    "behavior": distribution_config["DefaultCacheBehavior"],
    "key_group": cloudfront.get_key_group(Id=signing_key.key_group_id)["KeyGroup"]["KeyGroupConfig"],
    "key_matches": public_key_pem.strip() == cdn.public_key_pem(private_key).strip(),
    "key_mode": oct(PRIVATE_KEY_FILE.stat().st_mode & 0o777),
    "attached": iam.list_attached_user_policies(UserName=SIDECAR_USER_NAME)["AttachedPolicies"],
    "distribution": {"id": distribution.id, "arn": distribution.arn, "domain": distribution.domain_name},
    "key_id": signing_key.public_key_id, "policy_arn": policy_arn, "snippet_file": str(SNIPPET_FILE),
}, default=str))
"""
DOCTOR_AGAIN = """
print(doctor.report(doctor.diagnose(parse_settings(raw_settings), session=session,
                                    principal_arn=sidecar_principal_arn)))
"""


@pytest.mark.notebook
def test_aws_setup_builds_what_production_needs_and_the_doctor_agrees(tmp_path, monkeypatch):
    monkeypatch.setenv("S3VIDEO_SETUP_DIR", str(tmp_path))
    (state, no_cors, no_lifecycle), elapsed = execute(
        "aws_setup.ipynb",
        "assert USE_REAL_AWS is False\n" + READ_BACK,
        "s3.delete_bucket_cors(Bucket=BUCKET)\n" + DOCTOR_AGAIN,
        "aws_setup.configure_bucket(s3, BUCKET, MOODLE_ORIGINS)\n"
        "s3.delete_bucket_lifecycle(Bucket=BUCKET)\n" + DOCTOR_AGAIN,
    )
    state = json.loads(state)
    (cors,) = state["cors"]
    assert cors["AllowedOrigins"] == ["https://moodle.example.edu"]
    assert set(cors["AllowedMethods"]) == {"GET", "POST", "PUT"} and cors["ExposeHeaders"] == ["ETag"]
    assert all(state["public_access"].values()) and len(state["public_access"]) == 4
    assert state["ownership"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    rule, staging = state["lifecycle"]
    assert rule["Status"] == "Enabled" and rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 8
    assert staging["Filter"] == {"Prefix": "uploads/"} and staging["Expiration"]["Days"] == 1
    (statement,) = state["bucket_policy"]["Statement"]
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"} and statement["Action"] == "s3:GetObject"
    assert statement["Condition"]["StringEquals"]["AWS:SourceArn"] == state["distribution"]["arn"]
    assert state["origin"]["OriginAccessControlId"] and not state["origin"].get("S3OriginConfig", {}).get(
        "OriginAccessIdentity"
    )
    assert state["behavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert state["behavior"]["TrustedKeyGroups"]["Enabled"] is True
    assert state["key_group"]["Items"] == [state["key_id"]] and state["key_matches"] is True
    assert state["key_mode"] == "0o600"
    assert [p["PolicyArn"] for p in state["attached"]] == [state["policy_arn"]]

    snippet = pathlib.Path(state["snippet_file"]).read_text()
    for line in (
        "s3video.bucket = your-moodle-videos",
        "s3video.region = eu-west-1",
        "s3video.cdn = cloudfront",
        f"s3video.cloudfront.domain = {state['distribution']['domain']}",
        f"s3video.cloudfront.key_id = {state['key_id']}",
        f"s3video.cloudfront.private_key_file = {tmp_path / 'cloudfront-private-key.pem'}",
    ):
        assert line + "\n" in snippet

    # The notebook itself asserted the doctor passed; without CORS or lifecycle rule it fails, naming the fix.
    assert "FAIL  cors" in no_cors and "fix: put this CORS rule on the bucket" in no_cors
    assert "PASS  lifecycle" in no_cors
    assert (
        "FAIL  lifecycle" in no_lifecycle
        and "fix: add this rule to the bucket's lifecycle configuration" in no_lifecycle
    )
    assert "PASS  cors" in no_lifecycle
    print(f"aws_setup.ipynb ran in {elapsed:.1f} s")


@pytest.mark.notebook
def test_explore_sdk_uploads_confirms_plays_and_logs():
    (figures,), elapsed = execute(
        "explore_sdk.ipynb",
        """
import json
print(json.dumps({
    "policy_key": next(c["key"] for c in policy["conditions"] if isinstance(c, dict) and "key" in c),
    "demo_key": demo_key, "upload_method": upload["method"], "status": confirmed["status"],
    "file_size": confirmed["file_size"], "size": len(VIDEO_BYTES), "range_status": first_bytes.status_code,
    "event_types": sorted(event_types),
}))
""",
    )
    figures = json.loads(figures)
    assert figures["policy_key"] == "uploads/" + figures["demo_key"].removeprefix("videos/")  # the exact staging key
    assert figures["upload_method"] == "post" and figures["status"] == "ready"
    assert figures["file_size"] == figures["size"] and figures["range_status"] == 206
    assert {"upload_requested", "upload_confirmed", "playback_url_issued"} <= set(figures["event_types"])
    print(f"explore_sdk.ipynb ran in {elapsed:.1f} s")
