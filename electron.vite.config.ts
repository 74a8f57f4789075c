import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';

// Folders follow the layer layout (src-main, src-renderer, src-shared), so every entry is explicit.
export default defineConfig({
  main: {
    build: {
      // Bundle every dependency except the native ONNX Runtime, so the packaged app needs no node_modules
      // beyond it.
      externalizeDeps: false,
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src-main/electron/main.ts'),
          // The engine runs in its own utility process; it is bundled as a separate entry.
          'engine-worker': resolve(__dirname, 'src-main/host/engine-worker.ts'),
        },
        external: ['onnxruntime-node'],
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload cannot load modules: one self-contained CommonJS file that requires only electron.
      externalizeDeps: false,
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    plugins: [vue()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } },
    },
  },
});
