-- Rows under an open objection (issue 15): the records path names them in x-pdx-flagged-rows. A
-- process keeps them with the access context it keeps (migration 0040), so they must raise the
-- dataset's access revision whenever the flagged set can change: an objection raised, its cells or
-- state changed (opened, escalated, answered, decided), or deleted. Other updates (answers' text,
-- attachments) leave the kept contexts alone.
CREATE TRIGGER duty_objections_access_insert_delete AFTER INSERT OR DELETE ON duty_objections FOR EACH ROW
  EXECUTE FUNCTION access_bump_dataset('dataset_id');
CREATE TRIGGER duty_objections_access_update AFTER UPDATE ON duty_objections FOR EACH ROW
  WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.cells IS DISTINCT FROM NEW.cells OR OLD.dataset_id IS DISTINCT FROM NEW.dataset_id)
  EXECUTE FUNCTION access_bump_dataset('dataset_id');
