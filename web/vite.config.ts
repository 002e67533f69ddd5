import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** Text assets worth compressing; images other than SVG are compressed already. */
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|map)$/;

/**
 * Writes a .br and a .gz next to every compressible file of the build, at the highest levels (done
 * once per build, so the server never compresses per request: @fastify/static's preCompressed picks
 * the file the client's Accept-Encoding allows). Tiny files are left alone: compressing them saves
 * less than a header.
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'pdx-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      const files = fs.readdirSync(outDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && COMPRESSIBLE.test(e.name));
      await Promise.all(
        files.map(async (entry) => {
          const file = path.join(entry.parentPath, entry.name);
          const data = fs.readFileSync(file);
          if (data.length < 256) return;
          const [br, gz] = await Promise.all([
            brotli(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } }),
            gzip(data, { level: 9 }),
          ]);
          fs.writeFileSync(`${file}.br`, br);
          fs.writeFileSync(`${file}.gz`, gz);
        }),
      );
    },
  };
}

// The console is built into web/dist and served by the pdx server itself. Pages are loaded per route
// (React.lazy in App.tsx) and ECharts only by components/Chart.tsx, so the sign-in page loads neither.
// The chunk-size warning stays on at Vite's default (500 kB minified): a chunk above it is a
// regression to split, not a limit to raise. Libraries get chunks of their own, kept by browsers
// across releases that do not upgrade them and fetched in parallel: ECharts (only the parts
// components/echarts.ts registers) and zrender under it as echarts-*.js, React with its router, and
// antd's base components with its style engine, dayjs with its locales. A group that others depend on goes first (higher
// priority), or the first group takes it along as a dependency. (Cutting chunks by size,
// codeSplitting maxSize, broke the order modules run in: do not.)
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: 'echarts', test: /node_modules[\\/]echarts[\\/]/, priority: 2 },
            { name: 'echarts-zrender', test: /node_modules[\\/]zrender[\\/]/, priority: 3 },
            { name: 'antd-base', test: /node_modules[\\/](@ant-design|@rc-component|stylis|@emotion)[\\/]/, tags: ['$initial'], priority: 1 },
            // antd's table (with its pagination, filters and selection): on most pages, kept out of the shared page chunk.
            { name: 'antd-table', test: /node_modules[\\/]antd[\\/]es[\\/](table|pagination)[\\/]/, priority: 0 },
            { name: 'react', test: /node_modules[\\/](react|react-dom|react-router|react-router-dom|scheduler)[\\/]/, priority: 2 },
            // dayjs with its Chinese locale: the language switch sets it (i18n.tsx), every date picker formats through it.
            { name: 'dayjs', test: /node_modules[\\/]dayjs[\\/]/, priority: 2 },
          ],
        },
      },
    },
  },
  server: { proxy: { '/api': 'http://localhost:8080', '/health': 'http://localhost:8080' } },
});
