"""Throughput and latency of /healthz and of the key pages against the running gunicorn, each page
logged in as its real role (through the login form), in a closed loop of a few threads."""

from statistics import mean

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


def compare_sizes(school: Gunicorn, school_picks: dict, district: Gunicorn, district_picks: dict, password: str, *,
                  concurrency: int, duration: float, warmup: float, log=print) -> dict:
    """Each key page's throughput at district size as a ratio to school size, measured in turn
    (school, district, district, school: a drift of the machine's load weighs on both alike)."""
    servers = {"school": (school, school_picks), "district": (district, district_picks)}
    sessions: dict[tuple[str, str], Client] = {}
    results = {}
    for page in school_picks["pages"]:
        rps: dict[str, list[float]] = {"school": [], "district": []}
        errors = 0
        for size in ("school", "district", "district", "school"):
            server, picks = servers[size]
            mine = next(p for p in picks["pages"] if p["name"] == page["name"])
            client = sessions.get((size, mine["username"]))
            if client is None:
                client = sessions[(size, mine["username"])] = server.client()
                login(client, mine["username"], password)
                client.close()
            loop = closed_loop(client, mine["path"], concurrency=concurrency, duration=duration, warmup=warmup)
            rps[size].append(loop.summary()["rps"])
            errors += loop.errors
        school_rps, district_rps = mean(rps["school"]), mean(rps["district"])
        ratio = round(district_rps / school_rps, 3) if school_rps else None
        results[page["name"]] = {"school_rps": rps["school"], "district_rps": rps["district"], "ratio": ratio,
                                 "errors": errors}
        log(f"    {page['name']:22} school {school_rps:7.1f} req/s, district {district_rps:7.1f} req/s → {ratio}×"
            + (f"  {errors} errors" if errors else ""))
    return results
