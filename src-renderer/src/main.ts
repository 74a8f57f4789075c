/**
 * Start-up: connect to the engine host (preload or WebSocket), then mount the workbench with its
 * stores. If the connection cannot be made, or closes later, a full-page message says why and what to do.
 */
// First: before any schema is built (see zod-setup.ts).
import './zod-setup';
import { createPinia } from 'pinia';
import { createApp, ref } from 'vue';
import App from './App.vue';
import { provideStudioClient } from './client';
import ConnectionMessage from './components/ConnectionMessage.vue';
import { initialTheme, THEME_KEY } from './lib/theme';
import { connect, ConnectionError } from './transport';
import './styles.css';

/** The theme before any store exists, so the connection message is not drawn in the wrong colours. */
function applyEarlyTheme() {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(THEME_KEY);
  } catch {
    stored = null;
  }
  const theme = initialTheme(stored, window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false);
  document.documentElement.dataset.theme = theme;
}

async function boot() {
  applyEarlyTheme();
  const lost = ref<ConnectionError | null>(null);
  try {
    const client = await connect({ onClose: (e) => (lost.value = e) });
    provideStudioClient(client);
  } catch (err) {
    const e = err instanceof ConnectionError ? err : new ConnectionError('refused', (err as Error)?.message ?? String(err), 'Reload the page to try again.');
    createApp(ConnectionMessage, { error: e }).mount('#app');
    return;
  }
  const app = createApp(App, { connectionLost: lost });
  app.use(createPinia());
  app.config.errorHandler = (err, _instance, info) => {
    console.error(`Unhandled error (${info})`, err);
  };
  app.mount('#app');
}

void boot();
