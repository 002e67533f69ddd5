import { Route, Routes } from 'react-router-dom';
import { CatalogListPage } from './CatalogList.tsx';
import { DatasetPage } from './DatasetPage.tsx';

/** /catalog and /catalog/:code. */
export function CatalogRoutes() {
  return (
    <Routes>
      <Route index element={<CatalogListPage />} />
      <Route path=":code" element={<DatasetPage />} />
    </Routes>
  );
}
