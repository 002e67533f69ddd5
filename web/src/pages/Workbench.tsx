import { Badge, Card, Col, Row, Statistic, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { systemApi, type TodoKind } from '../api/system.ts';
import { useLoad } from '../hooks/useLoad.ts';
import { useI18n } from '../i18n.tsx';

/** Where each to-do count leads: the queue itself. */
const QUEUES: Record<TodoKind, string> = {
  approvals: '/sharing?tab=inbox',
  securityReviews: '/sharing?tab=security',
  openAlerts: '/secops?tab=alerts',
  classifyReviews: '/classify',
  objections: '/duties/objections',
  demandsToAnswer: '/duties/demands',
  demandsToAssign: '/duties/demands',
  returnFlowReviews: '/duties/return-flows',
  grantsEnding: '/sharing?tab=given',
  expiringGrants: '/sharing?tab=grants',
};

/**
 * 工作台: the caller's queues with how many items wait in each (only the roles it holds), every count
 * a link into its queue. Administrators without queues (sysadmin, auditor) see none.
 */
export function Workbench() {
  const { t } = useI18n();
  const { data: todo } = useLoad(() => systemApi.todo(), []);
  if (!todo?.items.length) return null;
  return (
    <Card title={t('todo.title')} data-testid="workbench">
      <Row gutter={[16, 16]}>
        {todo.items.map((item) => (
          <Col key={item.kind} xs={12} md={8} xl={{ flex: '20%' }}>
            <Link to={QUEUES[item.kind]} data-testid={`todo-${item.kind}`}>
              <Card hoverable size="small">
                <Statistic
                  title={
                    <span>
                      {t(`todo.${item.kind}`, { days: todo.expiringDays })} {item.count > 0 && <Badge status="processing" />}
                    </span>
                  }
                  value={item.count}
                  valueStyle={item.count > 0 ? { color: '#d4380d' } : undefined}
                />
                <Typography.Text type="secondary">{t(item.count > 0 ? 'todo.open' : 'todo.none')}</Typography.Text>
              </Card>
            </Link>
          </Col>
        ))}
      </Row>
    </Card>
  );
}
