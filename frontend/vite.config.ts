import { loadEnv, type Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { resolveConfig } from './src/lib/config';

/** index.html's boot script needs the API base and Firebase key the app is built with. */
function bootConfig(mode: string): Plugin {
  const c = resolveConfig(loadEnv(mode, process.cwd(), 'VITE_'));
  return {
    name: 'kwetter-boot-config',
    transformIndexHtml: (html) =>
      html.replace('__KWETTER_BOOT__', JSON.stringify({ apiBase: c.apiBase, apiKey: c.firebaseApiKey })),
  };
}
import { svelte } from '@sveltejs/vite-plugin-svelte';
import tailwindcss from '@tailwindcss/vite';

export default defineConfig(({ mode }) => ({
  plugins: [tailwindcss(), svelte(), bootConfig(mode)],
  // appType 'spa' (the default) makes the dev and preview servers answer every unknown path
  // with index.html, like the bucket's not_found_page does in production.
  appType: 'spa',
  server: { host: '127.0.0.1', port: 5173, strictPort: false },
  preview: { host: '127.0.0.1', port: 4173 },
  build: { outDir: 'dist', sourcemap: false, target: 'es2022' },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
}));
