/**
 * Checks electron-builder.yml without building a package (that needs the Electron binary and the internet):
 * the config is valid against electron-builder's own JSON schema, it names the four targets, and its file
 * rules, applied to the real files in node_modules, ship ONNX Runtime's native code unpacked from the asar,
 * only for the platform (and architecture) being built, and leave out every other node module.
 *
 * The file rules are evaluated twice: by a small re-statement of electron-builder's rule (patterns apply in
 * order, the last one that matches decides; for node_modules only the `!` exclusions of `files` count, after
 * an implicit "everything") on top of minimatch, and by electron-builder's own matcher from app-builder-lib,
 * so a change in either the config or electron-builder's semantics shows up here.
 *
 * After `npm run build` two more checks look at out/: the bundles import nothing the package lacks (only
 * Electron, Node built-ins and onnxruntime-node), and the preload is one CommonJS script that runs the way
 * Electron runs a sandboxed preload. Without out/ they are skipped.
 *
 * js-yaml, minimatch, ajv and app-builder-lib come with electron-builder (a devDependency) and are not listed
 * in package.json themselves, which is fine for a test.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import Ajv from 'ajv';
import { init as initModuleLexer, parse as parseModule } from 'es-module-lexer';
import { minimatch } from 'minimatch';
import { beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS } from '../src-shared/contract/schemas';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };

// ---- the config, typed as far as this test reads it -----------------------------------------------------

type FileSet = { from?: string; to?: string; filter?: string | string[] };
type Pattern = string | FileSet;
type TargetEntry = string | { target: string; arch?: string[] };
interface PlatformOptions {
  target?: TargetEntry | TargetEntry[];
  files?: Pattern[];
  category?: string;
  maintainer?: string;
}
interface BuilderConfig {
  appId?: string;
  productName?: string;
  directories?: { output?: string };
  files?: Pattern[];
  asar?: boolean;
  asarUnpack?: string[];
  extraResources?: Pattern[];
  linux?: PlatformOptions;
  win?: PlatformOptions;
  mac?: PlatformOptions;
  [key: string]: unknown;
}

const configPath = path.join(root, 'electron-builder.yml');
const config = yaml.load(readFileSync(configPath, 'utf8')) as BuilderConfig;

/** electron-builder's platform keys, with the Node platform and the architectures ONNX Runtime ships for. */
const PLATFORMS = [
  { key: 'linux', node: 'linux', archs: ['x64', 'arm64'] },
  { key: 'win', node: 'win32', archs: ['x64', 'arm64'] },
  { key: 'mac', node: 'darwin', archs: ['arm64'] },
] as const;
type PlatformKey = (typeof PLATFORMS)[number]['key'];

const ORT = 'node_modules/onnxruntime-node';
const ORT_BIN = `${ORT}/bin/napi-v6`;
const NATIVE = /\.(node|dll|dylib)$|\.so(\.\d+)*$/;
const MM = { dot: true } as const;

function targetsOf(platform: PlatformOptions | undefined): string[] {
  const list = platform?.target === undefined ? [] : Array.isArray(platform.target) ? platform.target : [platform.target];
  return list.map((t) => (typeof t === 'string' ? t : t.target));
}

function stringPatterns(list: Pattern[] | undefined): string[] {
  return (list ?? []).filter((p): p is string => typeof p === 'string');
}

function expandMacros(pattern: string, nodePlatform: string, arch: string): string {
  const expanded = pattern.replaceAll('${arch}', arch).replaceAll('${os}', nodePlatform === 'darwin' ? 'mac' : nodePlatform === 'win32' ? 'win' : 'linux');
  if (expanded.includes('${')) throw new Error(`unexpanded macro in files pattern ${pattern}`);
  return expanded;
}

/** Every file under `dir`, as paths relative to the repository root with forward slashes. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string) => {
    for (const name of readdirSync(abs)) {
      const p = path.join(abs, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(path.relative(root, p).split(path.sep).join('/'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** The rule electron-builder applies to node_modules: "**\/*" first, then the exclusions of `files`; last match wins. */
function shipsNodeModuleFile(rel: string, platform: PlatformKey, nodePlatform: string, arch: string): boolean {
  const excludes = [...stringPatterns(config.files), ...stringPatterns(config[platform]?.files)]
    .filter((p) => p.startsWith('!'))
    .map((p) => expandMacros(p, nodePlatform, arch));
  let included = minimatch(rel, '**/*', MM);
  for (const p of excludes) if (included && minimatch(rel, p.slice(1), MM)) included = false;
  return included;
}

// ---- electron-builder's own matcher -------------------------------------------------------------------------

interface EbMatcher {
  createFilter(): (file: string, stat: FakeStat) => boolean;
}
interface FakeStat {
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  moduleFullFilePath?: string;
}
interface FileMatcherModule {
  getNodeModuleFileMatcher(appDir: string, destination: string, macroExpander: (s: string) => string, platformOptions: object, packager: object): EbMatcher & { isEmpty(): boolean };
  getMainFileMatchers(appDir: string, destination: string, macroExpander: (s: string) => string, platformOptions: object, platformPackager: object, outDir: string, isElectronCompile: boolean): EbMatcher[];
}
const fileMatcher = require('app-builder-lib/out/fileMatcher') as FileMatcherModule;
const fileStat = (moduleFullFilePath?: string): FakeStat => ({ isDirectory: () => false, isSymbolicLink: () => false, moduleFullFilePath });
const cloneConfig = (): BuilderConfig => JSON.parse(JSON.stringify(config)) as BuilderConfig;
const APP = path.join(root, '.app-under-test');

function ebNodeModuleFilter(platform: PlatformKey, nodePlatform: string, arch: string): (rel: string) => boolean {
  const c = cloneConfig();
  const matcher = fileMatcher.getNodeModuleFileMatcher(root, APP, (s) => expandMacros(s, nodePlatform, arch), c[platform] ?? {}, { config: c, debugLogger: { isEnabled: false } });
  if (matcher.isEmpty()) return () => true;
  const filter = matcher.createFilter();
  return (rel) => filter(path.join(root, rel), fileStat(rel));
}

function ebAppFilter(platform: PlatformKey): (rel: string) => boolean {
  const c = cloneConfig();
  const info = { projectDir: root, buildResourcesDir: 'build', isPrepackedAppAsar: false, config: c, debugLogger: { isEnabled: false } };
  const [main] = fileMatcher.getMainFileMatchers(root, APP, (s) => s, c[platform] ?? {}, { info }, path.join(root, config.directories?.output ?? 'dist'), false);
  const filter = main!.createFilter();
  return (rel) => filter(path.join(root, rel), fileStat());
}

// ---- tests --------------------------------------------------------------------------------------------------

describe('electron-builder.yml', () => {
  it('is valid against electron-builder’s JSON schema (app-builder-lib/scheme.json)', () => {
    const schema = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8')) as object;
    // strict: false — the schema carries electron-builder's own annotations that Ajv's strict mode rejects.
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const ok = validate(config);
    expect(ok, ajv.errorsText(validate.errors, { separator: '\n' })).toBe(true);
    // The validator does reject a misspelt option, so a pass above means something.
    expect(validate({ ...config, asarUnpak: [] })).toBe(false);
  });

  it('names the app and writes packages to dist/', () => {
    expect(config.appId).toBe('org.sparseland.studio');
    expect(config.productName).toBe('Sparseland Studio');
    expect(config.directories?.output).toBe('dist');
  });

  it('builds AppImage and deb on Linux, NSIS on Windows and dmg on macOS, with the right categories', () => {
    expect(targetsOf(config.linux)).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(targetsOf(config.win)).toContain('nsis');
    expect(targetsOf(config.mac)).toContain('dmg');
    expect(config.linux?.category).toBe('Science');
    expect(config.linux?.maintainer).toMatch(/<[^@\s]+@[^>\s]+>/);
    expect(config.mac?.category).toBe('public.app-category.education');
  });

  it('packs the built app (out/**) and package.json, and nothing from the sources', () => {
    const files = stringPatterns(config.files);
    expect(files).toContain('out/**');
    expect(files).toContain('package.json');
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string };
    expect(minimatch(pkg.main, 'out/**', MM), `package.json "main" (${pkg.main}) must lie in out/`).toBe(true);
    for (const platform of ['linux', 'win', 'mac'] as const) {
      const ships = ebAppFilter(platform);
      for (const rel of ['package.json', 'out/main/index.js', 'out/main/engine-worker.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
        expect(ships(rel), `${platform}: ${rel} should be packed`).toBe(true);
      }
      for (const rel of ['src-main/electron/main.ts', 'src-renderer/index.html', 'electron-builder.yml', 'dist/latest.yml', 'resources/samples/brick.png', 'out/main/index.js.map']) {
        expect(ships(rel), `${platform}: ${rel} should not be packed`).toBe(false);
      }
    }
  });

  it('copies resources/samples to the app’s resources/samples', () => {
    const sets = (config.extraResources ?? []).map((p) => (typeof p === 'string' ? { from: p, to: p } : p));
    const samples = sets.find((s) => path.posix.normalize(s.from ?? '') === 'resources/samples');
    expect(samples, 'extraResources must include resources/samples').toBeDefined();
    expect(samples!.to).toBe('samples');
    expect(listFiles(path.join(root, 'resources/samples')).some((f) => f.endsWith('.png'))).toBe(true);
  });

  describe('ONNX Runtime', () => {
    let ortFiles: string[] = [];
    beforeAll(() => {
      ortFiles = listFiles(path.join(root, ORT_BIN));
    });

    it('finds the onnxruntime-node binaries to check against', () => {
      expect(ortFiles.some((f) => f.startsWith(`${ORT_BIN}/linux/`) && f.endsWith('.node'))).toBe(true);
      expect(ortFiles.some((f) => f.startsWith(`${ORT_BIN}/win32/`) && f.endsWith('.node'))).toBe(true);
      expect(ortFiles.some((f) => f.startsWith(`${ORT_BIN}/darwin/`) && f.endsWith('.node'))).toBe(true);
    });

    it('uses an asar archive and unpacks every native addon and shared library of onnxruntime-node', () => {
      expect(config.asar).toBe(true);
      const unpack = config.asarUnpack ?? [];
      const native = ortFiles.filter((f) => NATIVE.test(path.posix.basename(f)));
      expect(native.length).toBeGreaterThan(0);
      for (const f of native) {
        expect(unpack.some((p) => minimatch(f, p, MM)), `${f} must be unpacked from the asar`).toBe(true);
      }
      // Named kinds, in case the installed package lacks one of them.
      for (const sample of [`${ORT_BIN}/linux/x64/onnxruntime_binding.node`, `${ORT_BIN}/linux/x64/libonnxruntime.so.1`, `${ORT_BIN}/darwin/arm64/libonnxruntime.1.dylib`, `${ORT_BIN}/win32/x64/onnxruntime.dll`]) {
        expect(unpack.some((p) => minimatch(sample, p, MM)), `${sample} must be unpacked`).toBe(true);
      }
    });

    for (const { key, node, archs } of PLATFORMS) {
      for (const arch of archs) {
        it(`ships only ${node}/${arch} ONNX Runtime binaries in a ${key} ${arch} build`, () => {
          const ebShips = ebNodeModuleFilter(key, node, arch);
          const own = `${ORT_BIN}/${node}/${arch}/`;
          let kept = 0;
          for (const f of ortFiles) {
            const expected = f.startsWith(own);
            expect(shipsNodeModuleFile(f, key, node, arch), `${key} ${arch}: ${f}`).toBe(expected);
            expect(ebShips(f), `electron-builder's matcher, ${key} ${arch}: ${f}`).toBe(expected);
            if (expected) kept++;
          }
          expect(kept, `no ${node}/${arch} binaries would ship`).toBeGreaterThan(0);
        });
      }
    }
  });

  it('ships from node_modules only onnxruntime-node and what it loads at run time', () => {
    const topLevel = readdirSync(path.join(root, 'node_modules')).flatMap((name) =>
      name.startsWith('@') ? readdirSync(path.join(root, 'node_modules', name)).map((n) => `${name}/${n}`) : name.startsWith('.') ? [] : [name],
    );
    const keep = new Set(['onnxruntime-node', 'onnxruntime-common']);
    for (const { key, node, archs } of PLATFORMS) {
      const arch = archs[0];
      const ebShips = ebNodeModuleFilter(key, node, arch);
      for (const name of topLevel) {
        const rel = `node_modules/${name}/package.json`;
        expect(shipsNodeModuleFile(rel, key, node, arch), `${key}: ${name}`).toBe(keep.has(name));
        expect(ebShips(rel), `electron-builder's matcher, ${key}: ${name}`).toBe(keep.has(name));
      }
      // What onnxruntime-node's entry point loads: its dist/ and onnxruntime-common's CommonJS build.
      for (const rel of [`${ORT}/package.json`, `${ORT}/dist/index.js`, `${ORT}/dist/binding.js`, 'node_modules/onnxruntime-common/dist/cjs/index.js']) {
        expect(ebShips(rel), `${key}: ${rel} is needed at run time`).toBe(true);
      }
      // Install-time helpers nested under onnxruntime-node stay out.
      expect(ebShips(`${ORT}/node_modules/global-agent/package.json`)).toBe(false);
      expect(ebShips(`${ORT}/script/install.js`)).toBe(false);
    }
    // The run-time requires of onnxruntime-node's dist are what the list above keeps.
    const requires = new Set<string>();
    for (const f of listFiles(path.join(root, ORT, 'dist')).filter((f) => f.endsWith('.js'))) {
      for (const m of readFileSync(path.join(root, f), 'utf8').matchAll(/require\(["'`]([^"'`./][^"'`]*)["'`]\)/g)) requires.add(m[1]!);
    }
    const nonBuiltin = [...requires].filter((r) => !builtinModules.includes(r.replace(/^node:/, '')));
    expect(nonBuiltin.every((r) => keep.has(r)), `onnxruntime-node requires ${nonBuiltin.join(', ')}`).toBe(true);
  });

  // Only meaningful after `npm run build`: every package the built main process, engine worker and preload
  // still import must be Electron, a Node built-in or a package that ships.
  it.skipIf(!existsSync(path.join(root, 'out/main')))('leaves no import in the built bundles that the package would lack', async () => {
    await initModuleLexer;
    const shipped = new Set(['onnxruntime-node', 'onnxruntime-common']);
    const bundles = [...listFiles(path.join(root, 'out/main')), ...listFiles(path.join(root, 'out/preload'))].filter((f) => /\.(c|m)?js$/.test(f));
    expect(bundles.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const f of bundles) {
      const text = readFileSync(path.join(root, f), 'utf8');
      // ES modules through a real lexer: bundled libraries quote `require('canvas')` or `from "d3.js"` in
      // comments and strings, which are not imports. The CommonJS preload is small and has no such text.
      const specs = f.endsWith('.cjs')
        ? [...text.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!)
        : parseModule(text)[0].flatMap((i) => (i.n === undefined ? [] : [i.n]));
      for (const spec of specs) {
        if (spec.startsWith('.') || spec.startsWith('/')) continue;
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (pkg === 'electron' || builtinModules.includes(pkg.replace(/^node:/, '')) || pkg.startsWith('node:') || shipped.has(pkg)) continue;
        missing.push(`${f}: ${spec}`);
      }
    }
    expect(missing, 'imports of packages that are not shipped (bundle them: build.externalizeDeps: false in electron.vite.config.ts)').toEqual([]);
  });

  // A sandboxed preload runs as a classic script with a `require` that knows only Electron's modules: it must be
  // one CommonJS file that requires nothing but 'electron' (electron-vite: preload output format 'cjs',
  // externalizeDeps false).
  it.skipIf(!existsSync(path.join(root, 'out/preload')))('builds the preload as one self-contained CommonJS script', () => {
    const files = listFiles(path.join(root, 'out/preload')).filter((f) => /\.(c|m)?js$/.test(f));
    expect(files, 'out/preload should hold exactly the preload script').toHaveLength(1);
    const file = files[0]!;
    expect(file, 'an .mjs preload is loaded as an ES module, which a sandboxed renderer cannot do').toMatch(/\.c?js$/);
    const text = readFileSync(path.join(root, file), 'utf8');
    expect(text, `${file} has ES-module import/export statements`).not.toMatch(/^\s*(import\s[^(]|export\s)/m);
    const required = new Set([...text.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]));
    expect([...required]).toEqual(['electron']);

    // Run it as Electron runs a sandboxed preload: a function of (require, module, exports) in a context with
    // no Node globals, where require knows only 'electron'. It must expose the whole bridge.
    const exposed = new Map<string, Record<string, unknown>>();
    const listened: string[] = [];
    const fakeElectron = {
      contextBridge: { exposeInMainWorld: (key: string, api: Record<string, unknown>) => exposed.set(key, api) },
      ipcRenderer: { invoke: async () => undefined, on: (channel: string) => listened.push(channel) },
    };
    const context = vm.createContext({ console });
    const run = vm.runInContext(`(function (require, module, exports) {${text}\n})`, context, { filename: file }) as (req: (id: string) => unknown, module: object, exports: object) => void;
    const module = { exports: {} };
    run(
      (id) => {
        if (id === 'electron') return fakeElectron;
        throw new Error(`a sandboxed preload cannot require "${id}"`);
      },
      module,
      module.exports,
    );
    expect([...exposed.keys()]).toEqual(['sparseland']);
    expect(Object.keys(exposed.get('sparseland')!).sort()).toEqual([...Object.keys(OPERATIONS), 'on', 'onMenuCommand', 'pathForFile'].sort());
    expect(listened.sort()).toEqual(['studio:event', 'studio:menu']);
  });
});
