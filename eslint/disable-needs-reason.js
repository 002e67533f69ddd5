/** pdx/disable-needs-reason: every `eslint-disable…` comment says why, after ` -- `. */
export default {
  meta: {
    type: 'suggestion',
    docs: { description: 'An eslint-disable comment carries a reason after " -- "' },
    schema: [],
    messages: { reason: 'Say why after " -- ": `eslint-disable-next-line rule -- reason`.' },
  },
  create(context) {
    return {
      Program() {
        for (const comment of context.sourceCode.getAllComments()) {
          const text = comment.value.trim();
          if (/^eslint-disable(-next-line|-line)?\b/.test(text) && !/\s--\s*\S/.test(text)) context.report({ loc: comment.loc, messageId: 'reason' });
        }
      },
    };
  },
};
