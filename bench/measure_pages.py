"""Throughput and latency of /healthz and of the key pages against the running gunicorn, each page
logged in as its real role (through the login form), in a closed loop of a few threads."""

from .load import Client, closed_loop, login
from .server import Gunicorn


def measure_pages(server: Gunicorn, picks: dict, password: str, *, concurrency: int, duration: float,
                  warmup: float, log=print) -> dict:
    """{page name: figures}, /healthz first; each page's throughput also as a ratio to /healthz's."""
    results = {}
    health = closed_loop(server.client(), "/healthz", concurrency=concurrency, duration=duration, warmup=warmup,
                         check=lambda r: r.status == 200 and b'"ok"' in r.body)
    results["healthz"] = {"path": "/healthz", "role": None, **health.summary()}
    log(f"    {'healthz':22} {results['healthz']['rps']:8.1f} req/s  p95 {results['healthz']['p95_ms']} ms")
    sessions: dict[str, Client] = {}
    for page in picks["pages"]:
        client = sessions.get(page["username"])
        if client is None:
            client = sessions[page["username"]] = server.client()
            login(client, page["username"], password)
            client.close()
        loop = closed_loop(client, page["path"], concurrency=concurrency, duration=duration, warmup=warmup)
        figures = {"path": page["path"], "role": page["role"], **loop.summary()}
        base = results["healthz"]["rps"]
        figures["vs_healthz"] = round(figures["rps"] / base, 3) if base else None
        results[page["name"]] = figures
        errors = f"  {figures['errors']} errors {figures['error_samples'][:2]}" if figures["errors"] else ""
        log(f"    {page['name']:22} {figures['rps']:8.1f} req/s  p95 {figures['p95_ms']} ms  "
            f"({figures['vs_healthz']}× healthz){errors}")
    return results
