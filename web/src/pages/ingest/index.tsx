import { Route, Routes } from 'react-router-dom';
import { RegisterDatasetPage } from './RegisterDataset.tsx';
import { UploadWizardPage } from './UploadWizard.tsx';

/** /ingest (upload wizard) and /ingest/new (register a dataset). */
export function IngestRoutes() {
  return (
    <Routes>
      <Route index element={<UploadWizardPage />} />
      <Route path="new" element={<RegisterDatasetPage />} />
    </Routes>
  );
}
