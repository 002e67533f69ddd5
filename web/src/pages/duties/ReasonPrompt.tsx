import { Input, Modal } from 'antd';
import { useState } from 'react';

/** An action that needs a reason (reject, pause, escalate, decide): its title and what it does with the reason. */
export type Ask = { title: string; run: (reason: string) => Promise<unknown> };

/** Asks for the reason of an action and runs it through `act` once confirmed. */
export function ReasonPrompt({
  ask,
  placeholder,
  onClose,
  act,
}: {
  ask: Ask | null;
  placeholder: string;
  onClose(): void;
  act(work: () => Promise<unknown>): Promise<unknown>;
}) {
  const [text, setText] = useState('');
  return (
    <Modal
      open={ask !== null}
      title={ask?.title}
      onCancel={onClose}
      onOk={() => {
        const a = ask!;
        onClose();
        void act(() => a.run(text)).then(() => setText(''));
      }}
    >
      <Input.TextArea rows={3} placeholder={placeholder} value={text} onChange={(e) => setText(e.target.value)} />
    </Modal>
  );
}
