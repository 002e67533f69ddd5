import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console is built into web/dist and served by the pdx server itself.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 4096 },
  server: { proxy: { '/api': 'http://localhost:8080', '/health': 'http://localhost:8080' } },
});
