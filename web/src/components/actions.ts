/** The name of an audit action (`label` of useI18n), e.g. auth.login → 登录; one pdx has no name for gets its family's name and the code. */
export function actionName(label: (prefix: string, code: string) => string, action: string): string {
  const name = label('audit.act', action);
  if (name !== action) return name;
  const family = action.split('.')[0]!;
  const familyName = label('audit.act', family);
  return familyName !== family ? `${familyName}(${action})` : action;
}
