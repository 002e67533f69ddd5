import { describe, expect, it } from 'vitest';
import { callerEvent, requestEvent } from './events.ts';

describe('callerEvent', () => {
  const principal = { kind: 'apikey' as const, userId: 'u1', username: 'zhang', orgId: 'o1', roles: ['consumer' as const], apiKeyId: 'k1' };

  it('gives every event of a caller the same actor fields, request id and address', () => {
    expect(callerEvent({ principal, requestId: 'req-1', ip: '10.0.0.9' }, { action: 'data.read', result: 'success', dataset: 'D1' })).toEqual({
      action: 'data.read',
      result: 'success',
      dataset: 'D1',
      actor: { userId: 'u1', username: 'zhang', orgId: 'o1', roles: ['consumer'], apiKeyId: 'k1' },
      requestId: 'req-1',
      ip: '10.0.0.9',
    });
  });

  it('leaves out the API key of a console user and the actor of pdx itself', () => {
    const { apiKeyId: _none, ...user } = { ...principal, kind: 'user' as const };
    expect(callerEvent({ principal: user }, { action: 'x', result: 'success' }).actor).toEqual({
      userId: 'u1',
      username: 'zhang',
      orgId: 'o1',
      roles: ['consumer'],
    });
    expect(callerEvent(undefined, { action: 'x', result: 'success' })).toEqual({ action: 'x', result: 'success' });
  });
});

describe('requestEvent', () => {
  it('keeps the actor the event names (a sign-in before its session) and adds the request id and address', () => {
    const actor = { userId: 'u2', username: 'li', orgId: 'o2', roles: ['data_officer'] };
    expect(requestEvent({ requestId: 'req-2', ip: '10.0.0.7' }, { action: 'auth.sso_login', result: 'success', actor })).toEqual({
      action: 'auth.sso_login',
      result: 'success',
      actor,
      requestId: 'req-2',
      ip: '10.0.0.7',
    });
    expect(requestEvent({}, { action: 'x', result: 'failure' })).toEqual({ action: 'x', result: 'failure' });
  });
});
