import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { RunningServer } from '../../server/server';
import { CliError } from '../output';

interface ServeOptions {
  port?: string;
  host: string;
  root?: string[];
  project?: string;
  open: boolean;
  json?: boolean;
}

/** The built renderer, relative to this file in the source tree (the CLI runs from source through tsx). */
const STATIC_DIR = path.resolve(import.meta.dirname, '../../../out/renderer');

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(port) || port > 65535) throw new CliError(`--port: "${value}" is not a port number (0–65535; 0 picks a free port)`);
  return port;
}

/**
 * Roots are canonical (symlinks resolved) because the host compares resolved paths against them, and a
 * missing root is refused now rather than silently confining the user to nothing.
 */
async function resolveRoots(dirs: readonly string[]): Promise<string[]> {
  const roots: string[] = [];
  for (const dir of dirs) {
    let real: string;
    try {
      real = await realpath(path.resolve(dir));
      if (!(await stat(real)).isDirectory()) throw new Error('not a folder');
    } catch {
      throw new CliError(`--root ${dir}: no such folder`);
    }
    if (!roots.includes(real)) roots.push(real);
  }
  return roots;
}

function stateDirectory(): string {
  return process.env.SPARSELAND_STATE_DIR ? path.resolve(process.env.SPARSELAND_STATE_DIR) : path.join(os.homedir(), '.sparseland-studio');
}

/**
 * Opens the browser through a private redirect file rather than the URL itself, as Jupyter does: a
 * command line is visible to every user of the machine (ps), a 0600 file is not.
 */
async function openBrowser(url: string, stateDir: string, port: number): Promise<string | undefined> {
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return undefined;
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, `serve-${port}-open.html`);
  const escaped = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  await writeFile(file, `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${escaped}"><title>Sparseland Studio</title><p><a href="${escaped}">Open Sparseland Studio</a></p>\n`, { mode: 0o600 });
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [file]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', file]] : ['xdg-open', [file]];
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => process.stderr.write('sparseland: could not open a browser; open the address above yourself\n'));
    child.unref();
  } catch {
    // The URL is printed either way; a missing opener is not worth failing the server for.
  }
  return file;
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once, for a shutdown that hangs. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) {
        process.stderr.write('sparseland: forced exit\n');
        process.exit(130);
      }
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the studio to a browser on this machine (headless mode), behind a per-launch token')
    .option('--port <n>', 'port to listen on (0 picks a free port; default 8765, or a free port when it is taken)')
    .option('--host <address>', 'interface to listen on; anything but loopback exposes the studio to the network', '127.0.0.1')
    .option('--root <dir>', 'a folder the browser may read and write under (repeatable; default: the current folder and your home folder)', collect)
    .option('--project <dir>', 'a project to open at start (must lie under a --root)')
    .option('--no-open', 'do not open a browser')
    .option('--json', 'print {url, port, token, roots} as one JSON line (for scripts; implies --no-open)')
    .action(async (o: ServeOptions) => {
      const port = parsePort(o.port);
      const roots = await resolveRoots(o.root?.length ? o.root : [process.cwd(), os.homedir()]);
      const projectDir = o.project ? path.resolve(o.project) : undefined;
      const stateDir = stateDirectory();
      // Loaded here, not at the top: the host pulls in the engine supervisor, which the other commands never need.
      const { createStudioHost } = await import('../../host/studio-host');
      const { startServer } = await import('../../server/server');

      const host = await createStudioHost({ kind: 'browser', stateDir, allowedRoots: roots, projectDir });
      let server: RunningServer;
      try {
        server = await startServer({ host, port, bind: o.host, staticDir: STATIC_DIR, onWarning: (m) => process.stderr.write(`sparseland: warning: ${m}\n`) });
      } catch (err) {
        await host.dispose();
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new CliError(`port ${port} on ${o.host} is already in use; choose another with --port, or --port 0 for any free port`);
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new CliError(`--host ${o.host}: this machine has no such address`);
        if (code === 'EACCES') throw new CliError(`port ${port} needs privileges; choose one above 1023`);
        throw err;
      }
      const stopped = untilSignal();

      let openFile: string | undefined;
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port, token: server.token, roots })}\n`);
      } else {
        console.log(`Sparseland Studio is serving at ${server.url}`);
        console.log(`  Files the browser may use: ${roots.join(', ')}`);
        if (projectDir) console.log(`  Project: ${projectDir}`);
        if (!existsSync(path.join(STATIC_DIR, 'index.html'))) process.stderr.write(`sparseland: the renderer is not built (${STATIC_DIR}); run \`npm run build\` and reload the page\n`);
        console.log('  Press Ctrl+C to stop.');
        if (o.open) openFile = await openBrowser(server.url, stateDir, server.port).catch(() => undefined);
      }

      await stopped;
      if (!o.json) console.log('Stopping…');
      await server.close();
      await host.dispose();
      if (openFile) await rm(openFile, { force: true });
    });
}
