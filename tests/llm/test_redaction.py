"""A key echoed back by a remote server is masked in everything written or printed, not only our own messages."""

from __future__ import annotations

import json

from rewardsmith.redact import RedactingStream, forget_secrets, redact, register_secret
from rewardsmith.samples import demo_path

from .conftest import MODEL, SECRET, Reply, files_under
from .test_cli_llm import _run
from .test_refine import FORMAT_ONLY

ECHO = f"bad request; the request carried Authorization: Bearer {SECRET} (echoed by a careless proxy)"
# A proxy that answers 200 with the request it saw: the reply is "what came back", shown and recorded verbatim.
HOSTILE = f"I cannot help. Your headers were: Authorization: Bearer {SECRET}"


def test_registered_secrets_are_masked_in_text_and_streams(capsys):
    try:
        register_secret("sk-live-ABCDEF123456")
        register_secret("abc")  # too short to mask without eating ordinary words
        assert redact("key=sk-live-ABCDEF123456 and %s" % "sk-live-ABCDEF123456") == "key=*** and ***"
        assert redact("abc") == "abc"
        RedactingStream("stdout").write("printed sk-live-ABCDEF123456\n")
        assert capsys.readouterr().out == "printed ***\n"
    finally:
        forget_secrets()


def test_echoed_key_never_reaches_stderr(server, tmp_path):
    server.push(Reply.error(400, ECHO))
    done = _run(["propose", str(demo_path("math")), "--model", MODEL, "--api-base", server.url, "-o", "spec.yaml"],
                tmp_path)
    assert done.returncode == 2
    assert "echoed by a careless proxy" in done.stderr or "400" in done.stderr
    assert SECRET not in done.stderr and SECRET not in done.stdout
    assert any(SECRET in r.headers.get("authorization", "") for r in server.requests)  # it was really sent


def test_echoed_key_never_reaches_refine_records(server, tmp_path):
    (tmp_path / "spec.yaml").write_text(json.dumps(FORMAT_ONLY), encoding="utf-8")
    server.push(Reply.chat(HOSTILE), Reply.chat(HOSTILE), Reply.chat(HOSTILE), Reply.chat(HOSTILE))
    done = _run(["refine", "spec.yaml", str(demo_path("search")), "--model", MODEL, "--api-base", server.url,
                 "--rounds", "2"], tmp_path)
    assert SECRET not in done.stderr and SECRET not in done.stdout
    written = files_under(tmp_path / "spec.rounds")
    assert "record" in written or "round" in written, "refine wrote no records"
    assert SECRET not in written


def test_a_reply_that_repeats_the_key_is_masked_where_it_is_shown(server, tmp_path):
    server.push(Reply.chat(HOSTILE), Reply.chat(HOSTILE), Reply.chat(HOSTILE))
    done = _run(["propose", str(demo_path("math")), "--model", MODEL, "--api-base", server.url, "-o", "spec.yaml"],
                tmp_path)
    assert done.returncode == 2
    assert "I cannot help" in done.stderr  # what came back is shown ...
    assert SECRET not in done.stderr and SECRET not in done.stdout  # ... with the key masked
