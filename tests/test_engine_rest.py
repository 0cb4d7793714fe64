"""Camunda Modeler's Deploy and Start Instance buttons against /engine-rest (issue 15): the
requests below are built the way Modeler 5 sends them (client/src/remote/CamundaAPI.js):
`deployment-name`, `deployment-source: Camunda Modeler`, `enable-duplicate-filtering: true`,
then the diagram under its own file name; Bearer or HTTP Basic with an API token."""

from __future__ import annotations

import base64
import io

import pytest

from service.services import accounts
from tests.bpmn import linear, user
from tests.conftest import PASSWORD, assert_problem, beian_files


@pytest.fixture()
def designer_token(db):
    return accounts.create_system_token(db, "建模器", roles=["设计人员"])


def _modeler_form(*files: tuple[str, bytes], name: str = "备案流程") -> dict:
    form = {
        "deployment-name": name,
        "deployment-source": "Camunda Modeler",
        "enable-duplicate-filtering": "true",
    }
    for filename, content in files:
        form[filename] = (io.BytesIO(content), filename)
    return form


def _files():
    return [(path.name, path.read_bytes()) for path in beian_files()]


def test_modeler_probes_version_and_deployments(api, designer_token):
    headers = {"Authorization": f"Bearer {designer_token}"}
    assert api.client.get("/engine-rest/version", headers=headers).json == {"version": "7.22.0"}
    assert api.client.get("/engine-rest/deployment?maxResults=0", headers=headers).json == []
    assert_problem(api.client.get("/engine-rest/version"), 401)


def test_deploy_from_modeler_creates_a_version_and_answers_camundas_shape(api, db, designer_token):
    headers = {"Authorization": f"Bearer {designer_token}"}
    response = api.client.post(
        "/engine-rest/deployment/create", headers=headers, data=_modeler_form(*_files())
    )
    assert response.status_code == 200, response.json
    body = response.json
    (definition,) = body["deployedProcessDefinitions"].values()
    assert definition["key"] == "fenghua_beian" and definition["version"] == 1
    assert definition["id"].startswith("fenghua_beian:1:") and definition["deploymentId"] == body["id"]
    assert body["name"] == "备案流程" and body["source"] == "Camunda Modeler"
    assert body["deploymentTime"].endswith("+08:00")
    # Deploying the same files again changes nothing and names the current version.
    again = api.client.post(
        "/engine-rest/deployment/create", headers=headers, data=_modeler_form(*_files())
    ).json
    assert list(again["deployedProcessDefinitions"]) == [definition["id"]]
    assert [d["id"] for d in api.client.get("/engine-rest/deployment", headers=headers).json] == [body["id"]]
    # Start Instance: Camunda typed variables become the instance's data. Deploying does not
    # make a designer a starter: only the process's own roles start it (issue 9).
    start = f"/engine-rest/process-definition/{definition['id']}/start"
    body = {"businessKey": "FH-CM-1", "variables": {"laiyuan": {"value": "建模器", "type": "String"}}}
    refused = assert_problem(api.client.post(start, headers=headers, json=body), 403)
    assert "企业人事" in refused["message"]
    tester = accounts.create_system_token(db, "建模测试", roles=["设计人员", "企业人事"])
    started = api.client.post(start, headers={"Authorization": f"Bearer {tester}"}, json=body)
    assert started.status_code == 200, started.json
    assert started.json["businessKey"] == "FH-CM-1" and started.json["definitionId"] == definition["id"]
    assert api.get(f"/api/v1/instances/{started.json['id']}").json["data"]["laiyuan"] == "建模器"


def test_http_basic_takes_the_username_and_an_api_token(api, designer_token):
    good = base64.b64encode(f"建模器:{designer_token}".encode()).decode()
    assert (
        api.client.get("/engine-rest/version", headers={"Authorization": f"Basic {good}"}).status_code == 200
    )
    wrong_user = base64.b64encode(f"admin:{designer_token}".encode()).decode()
    assert_problem(
        api.client.get("/engine-rest/version", headers={"Authorization": f"Basic {wrong_user}"}), 401
    )
    password = base64.b64encode(f"renshi:{PASSWORD}".encode()).decode()  # a password is not a token
    assert_problem(
        api.client.get("/engine-rest/version", headers={"Authorization": f"Basic {password}"}), 401
    )
    # Basic is only for the Camunda-compatible endpoints.
    assert_problem(api.client.get("/api/v1/tasks", headers={"Authorization": f"Basic {good}"}), 401)


def test_a_broken_diagram_comes_back_as_modeler_shows_parse_errors(api, designer_token):
    headers = {"Authorization": f"Bearer {designer_token}"}
    broken = linear("ceshi_po", user()).replace(b'targetRef="S1"', b'targetRef="S9"')
    response = api.client.post(
        "/engine-rest/deployment/create", headers=headers, data=_modeler_form(("ceshi_po.bpmn", broken))
    )
    body = assert_problem(response, 422)
    assert body["message"].startswith("ENGINE-09005 Could not parse BPMN process.")
    assert "S9" in body["message"] and body["element_id"] == "F1"


def test_only_admins_and_designers_deploy(api):
    token = accounts.create_system_token(
        api.client.application.extensions["xuanpin"].db, "OA", roles=["企业人事"]
    )
    response = api.client.post(
        "/engine-rest/deployment/create",
        headers={"Authorization": f"Bearer {token}"},
        data=_modeler_form(*_files()),
    )
    assert_problem(response, 403)
