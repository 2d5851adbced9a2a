"""aiohttp + sockjs 0.13.0 rival server for the txsockjs end-to-end benchmark.

Services at the same paths as ``python -m txsockjs conformance``:
``/echo`` (every message back to its session) and ``/broadcast`` (every
message to every session of the service).  Runs in its own venv (run.py
makes it under benchmarks/e2e/.cache/aiohttp-venv).  Binds 127.0.0.1 only.

Usage: python aiohttp_server.py [--port N]
"""
import argparse
import asyncio
import logging

import sockjs
from aiohttp import web


async def echo(manager, session, msg):
    if msg.type == sockjs.MsgType.MESSAGE:
        session.send(msg.data)


async def broadcast(manager, session, msg):
    if msg.type == sockjs.MsgType.MESSAGE:
        manager.broadcast(msg.data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    app = web.Application()
    sockjs.add_endpoint(app, echo, name="echo", prefix="/echo", cookie_needed=False)
    sockjs.add_endpoint(app, broadcast, name="broadcast",
                        prefix="/broadcast", cookie_needed=False)

    async def start():
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", args.port, backlog=511)
        await site.start()
        print("aiohttp sockjs %s listening on http://127.0.0.1:%d"
              % (sockjs.__version__, args.port), flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    try:
        asyncio.run(start())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
