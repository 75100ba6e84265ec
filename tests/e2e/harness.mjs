// What the scenario runs against: our Django server on a fresh SQLite database with the demo data
// (as `make run` starts it), the front-end build served under /front by a small HTTP server that
// passes /api through to Django unchanged and records every exchange, and Debian's Chromium
// driven by playwright-core.
import { spawn, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { createReadStream, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { extname, join, normalize, resolve } from "node:path";

export const REPO = resolve(new URL("../..", import.meta.url).pathname);
export const DEPS = resolve(process.env.E2E_DEPS || join(REPO, "var/e2e"));
export const BUILD = resolve(process.env.E2E_BUILD || join(DEPS, "build/current"));
export const RUN_DIR = resolve(process.env.E2E_RUN_DIR || join(DEPS, "run"));
export const PYTHON = process.env.E2E_PYTHON || join(REPO, ".venv/bin/python");
// The Django project to serve (this checkout unless told otherwise).
export const BACKEND = resolve(process.env.E2E_BACKEND_DIR || REPO);
export const CHROMIUM = process.env.E2E_CHROMIUM || "/usr/bin/chromium";
export const PUBLIC_URL = "/front";

export const requireDep = createRequire(join(DEPS, "package.json"));

export function freePort() {
  return new Promise((ok, fail) => {
    const server = net.createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

async function waitFor(check, what, timeoutMs) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`e2e: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const getStatus = (url) =>
  new Promise((ok) => {
    http.get(url, (res) => { res.resume(); ok(res.statusCode); }).on("error", () => ok(0));
  });

// Django as `make run` starts it, on its own database, media folder and port.
export async function startBackend() {
  const port = await freePort();
  rmSync(join(RUN_DIR, "db.sqlite3"), { force: true });
  rmSync(join(RUN_DIR, "media"), { recursive: true, force: true });
  mkdirSync(RUN_DIR, { recursive: true });
  const env = {
    ...process.env,
    DEBUG: "1",
    DATABASE_URL: `sqlite:///${join(RUN_DIR, "db.sqlite3")}`,
    CELERY_BROKER_URL: "",
    STORAGE_BACKEND: "local",
    MEDIA_ROOT: join(RUN_DIR, "media"),
  };
  for (const command of [["migrate", "--noinput"], ["demo_data"]]) {
    const result = spawnSync(PYTHON, ["manage.py", ...command], { cwd: BACKEND, env, encoding: "utf8" });
    if (result.status !== 0) {
      throw new Error(`e2e: manage.py ${command[0]} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
    }
  }
  const log = join(RUN_DIR, "django.log");
  writeFileSync(log, "");
  const child = spawn(PYTHON, ["manage.py", "runserver", `127.0.0.1:${port}`, "--noreload"], {
    cwd: BACKEND,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const chunks = [];
  child.stdout.on("data", (d) => chunks.push(d));
  child.stderr.on("data", (d) => chunks.push(d));
  const flushLog = () => writeFileSync(log, Buffer.concat(chunks));
  let exited = null;
  child.on("exit", (code) => { exited = code; flushLog(); });
  await waitFor(async () => {
    if (exited !== null) throw new Error(`e2e: runserver exited ${exited}, see ${log}`);
    return (await getStatus(`http://127.0.0.1:${port}/health`)) !== 0;
  }, "the Django server", 60_000);
  return {
    port,
    log,
    flushLog,
    stop: () => new Promise((ok) => {
      if (exited !== null) return ok();
      child.once("exit", () => ok());
      child.kill("SIGTERM");
    }),
  };
}

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".map": "application/json" };

// Serves the build and passes /api/* to Django byte for byte (method, path, headers, body, and
// the answer's status, headers and body); every exchange is kept in `traffic`.
export async function startFront(backendPort) {
  const traffic = [];
  const server = http.createServer((req, res) => {
    if (req.url.startsWith("/api/")) return proxy(req, res);
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (!path.startsWith(PUBLIC_URL)) {
      res.writeHead(302, { location: `${PUBLIC_URL}/` });
      return res.end();
    }
    let file = join(BUILD, normalize(path));
    if (!file.startsWith(BUILD) || !existsSync(file) || statSync(file).isDirectory()) {
      file = join(BUILD, PUBLIC_URL, "index.html"); // the app's own routes
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] || "application/octet-stream" });
    createReadStream(file).pipe(res);
  });

  function proxy(req, res) {
    const body = [];
    req.on("data", (d) => body.push(d));
    req.on("end", () => {
      const requestBody = Buffer.concat(body);
      const entry = {
        seq: traffic.length,
        at: new Date().toISOString(),
        method: req.method,
        url: req.url,
        requestHeaders: req.headers,
        requestBody: requestBody.toString("utf8"),
      };
      traffic.push(entry);
      const upstream = http.request(
        { host: "127.0.0.1", port: backendPort, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          const parts = [];
          answer.on("data", (d) => parts.push(d));
          answer.on("end", () => {
            const responseBody = Buffer.concat(parts);
            entry.status = answer.statusCode;
            entry.responseHeaders = answer.headers;
            entry.responseBody = responseBody.toString("utf8");
            res.writeHead(answer.statusCode, answer.rawHeaders);
            res.end(responseBody);
          });
        },
      );
      upstream.on("error", (error) => {
        entry.status = 502;
        entry.responseBody = `proxy: ${error}`;
        res.writeHead(502);
        res.end();
      });
      upstream.end(requestBody);
    });
  }

  const port = await freePort();
  await new Promise((ok) => server.listen(port, "127.0.0.1", ok));
  return { port, url: `http://127.0.0.1:${port}${PUBLIC_URL}/`, traffic, stop: () => new Promise((ok) => server.close(ok)) };
}

export async function launchBrowser() {
  const { chromium } = requireDep("playwright-core");
  const profile = join(RUN_DIR, "chromium-profile");
  rmSync(profile, { recursive: true, force: true });
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
    viewport: { width: 1400, height: 900 },
  });
}

// GraphQL exchanges of the traffic log: the operation text, and the errors of the answer.
export function graphqlExchanges(traffic) {
  return traffic
    .filter((e) => e.url.startsWith("/api/graphql"))
    .map((e) => {
      let request = {};
      let response = null;
      try { request = JSON.parse(e.requestBody); } catch { /* not JSON: kept as is */ }
      try { response = JSON.parse(e.responseBody); } catch { /* not JSON */ }
      return { ...e, query: request.query ?? e.requestBody, variables: request.variables, response };
    });
}

export function saveTraffic(traffic, name = "traffic.json") {
  mkdirSync(RUN_DIR, { recursive: true });
  const file = join(RUN_DIR, name);
  writeFileSync(file, JSON.stringify(traffic, null, 2));
  return file;
}
