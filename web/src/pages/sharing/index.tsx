import { Route, Routes } from 'react-router-dom';
import { GrantPage } from './GrantPage.tsx';
import { RequestFormPage } from './RequestForm.tsx';
import { PrintForm } from './PrintForm.tsx';
import { RequestPage } from './RequestPage.tsx';
import { SharingHome } from './SharingHome.tsx';

/**
 * /sharing (requests, grants, approvals inbox, notifications), /sharing/request/:code (ask for a
 * dataset), /sharing/requests/:id (one request and its decisions), /sharing/requests/:id/print (its 审批单), /sharing/grants/:id (one grant).
 */
export function SharingRoutes() {
  return (
    <Routes>
      <Route index element={<SharingHome />} />
      <Route path="request/:code" element={<RequestFormPage />} />
      <Route path="requests/:id" element={<RequestPage />} />
      <Route path="requests/:id/print" element={<PrintForm />} />
      <Route path="grants/:id" element={<GrantPage />} />
    </Routes>
  );
}

export { NotificationBell } from './Notifications.tsx';
