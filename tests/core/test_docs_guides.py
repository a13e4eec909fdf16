"""The guides work as written: each guide's shell steps run, in order, against a fresh demo place.

Every ```sh block of a guide in docs/guides/ is run by bash (`set -euo pipefail`, so any failing step
fails the test), with `curl` failing on any error answer and the guide's http://127.0.0.1:5000 pointed
at a real server.
"""
import pathlib
import re
import subprocess

import pytest

from tests.conftest import config_for

GUIDES = sorted((pathlib.Path(__file__).resolve().parents[2] / "docs" / "guides").glob("*.md"))
SHELL = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
PREAMBLE = ("set -euo pipefail\n"  # a step that prints the status code (`-w`) checks it itself
            "curl() { case \" $* \" in *\" -w \"*) command curl \"$@\";; *) command curl --fail-with-body \"$@\";; esac; }\n")


def steps(guide: pathlib.Path) -> str:
    return "\n".join(SHELL.findall(guide.read_text()))


def test_there_are_the_four_guides():
    titles = [guide.read_text().splitlines()[0] for guide in GUIDES]
    assert {"# Your first booking in 10 minutes", "# Sign your staff in", "# Onboard an organisation",
            "# Take reports from FixMyStreet and any Open311 client"} <= set(titles), titles


@pytest.fixture
def demo_place(database_url):
    from civic.app import create_app
    from civic.demo import seed

    app = create_app(config_for(database_url))
    with app.app_context():
        seed()
    app.extensions["civic.engine"].dispose()


@pytest.mark.parametrize("guide", GUIDES, ids=[guide.stem for guide in GUIDES])
def test_the_guide_runs_as_written(guide, demo_place, live_server, tmp_path):
    script = steps(guide)
    assert script.count("curl") >= 3, "a guide shows its steps as ```sh blocks"
    server = live_server()
    result = subprocess.run(["bash", "-c", PREAMBLE + script.replace("http://127.0.0.1:5000", server.url)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}\n{server.logs()[-2000:]}"


def test_the_guides_are_served_in_the_docs(client):
    listing = client.get("/docs/guides").get_data(as_text=True)
    for guide in GUIDES:
        assert f'href="/docs/guides/{guide.stem}"' in listing
        page = client.get(f"/docs/guides/{guide.stem}")
        assert page.status_code == 200 and page.mimetype == "text/html"
        assert "<pre><code" in page.get_data(as_text=True)
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert client.get("/docs/guides/../README").status_code == 404
    assert client.get("/docs/guides/nope").status_code == 404
    spec = client.get("/openapi.json").get_json()
    assert all(f"/docs/guides/{guide.stem}" in spec["info"]["description"] for guide in GUIDES)
