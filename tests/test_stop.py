"""Stop: the reader's Stop button (Teams answers the next stream update with 403) and the end of a
stream's time. Through the HTTP edge, the fake connector and a model server that notices when its
client goes away."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlmodel import col, select

from bot.messages import t
from bot.store.models import Message
from tests.support.openai_server import RecordingModelServer
from tests.test_teams_features import Bot, _stream_info, bot  # noqa: F401 (fixtures)

LONG = " ".join(f"ord{i}" for i in range(60))  # 60 words at 0.1 s: six seconds of generation


def _outcomes(bot: Bot) -> list[str]:  # noqa: F811
    with bot.services.stores.db.session() as s:
        return [str(m.outcome) for m in s.exec(select(Message).order_by(col(Message.id)))]


async def _until(check: Callable[[], bool], wait_s: float = 20.0) -> None:
    """Poll ``check`` (a database row, a server's counter: nothing to wait on as an event)."""
    deadline = asyncio.get_running_loop().time() + wait_s
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_stop_ends_the_answer_cancels_the_model_and_sends_nothing_more(
    bot: Bot,  # noqa: F811
    model_server: RecordingModelServer,
) -> None:
    model_server.reply, model_server.chunk_delay_s = LONG, 0.1
    bot.connector.stop_streams = True
    await bot.say("Hvornår skal jeg sygemelde mig?")
    await _until(lambda: "stopped" in _outcomes(bot))
    await _until(lambda: model_server.streams_left == 1)  # the model request was closed, not run out
    await asyncio.sleep(0.5)  # anything the bot would still send after the 403 arrives by now
    sent = bot.connector.activities
    assert len(bot.connector.refused) == 1  # one refused update, then nothing
    assert [_stream_info(a)["streamType"] for a in sent] == ["informative"]  # no final, no error message
    assert not bot.connector.messages()

    # the next question is answered normally, in a new stream
    bot.connector.stop_streams = False
    model_server.reply, model_server.chunk_delay_s = "Før kl. 8 [1].", 0.0
    await bot.say("Og hvem ringer jeg til?")
    [final] = await bot.connector.wait_for_messages(1, wait_s=30)
    assert final["text"].startswith("Før kl. 8 [1].\n\n_Skrevet af Lokal Llama")
    assert _stream_info(final)["streamType"] == "final"
    assert _outcomes(bot)[-1] == "answered"


async def test_a_stream_out_of_time_is_finished_with_what_was_written(
    bot: Bot,  # noqa: F811
    model_server: RecordingModelServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("bot.teams.streaming.MAX_STREAM_S", 2.5)
    model_server.reply, model_server.chunk_delay_s = LONG, 0.1
    await bot.say("Hvornår skal jeg sygemelde mig?")
    [final] = await bot.connector.wait_for_messages(1, wait_s=30)
    assert _stream_info(final)["streamType"] == "final"
    assert final["text"].startswith("ord0 ord1") and "ord59" not in final["text"]
    assert t("answer_cut", "da") in final["text"]
    await _until(lambda: model_server.streams_left == 1)
    assert _outcomes(bot)[-1] == "cut"
