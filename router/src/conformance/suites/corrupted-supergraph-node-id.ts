// corrupted-supergraph-node-id: both subgraphs answer Query.node; each answers the other's
// type with a wrong id ("never"), so the gateway must take each type from its own subgraph.
interface Account {
  id: string;
  username: string;
}
interface Chat {
  id: string;
  accountId: string;
  text: string;
}

export default ({ accounts, chats }: { accounts: Account[]; chats: Chat[] }) => {
  const account = (id: string) => accounts.find((a) => a.id === id);
  const chat = (id: string) => chats.find((c) => c.id === id);
  const accountInA = (a: Account) => ({ __typename: 'Account', id: a.id, username: a.username });
  const chatInB = (c: Chat) => ({ __typename: 'Chat', id: c.id, text: c.text });
  const chatIdsOf = (accountId: string) => chats.filter((c) => c.accountId === accountId).map((c) => c.id);
  return {
    a: {
      Query: {
        node: (_: unknown, { id }: { id: string }) => {
          const a = account(id);
          if (a) return accountInA(a);
          const c = chat(id);
          return c ? { __typename: 'Chat', id: 'never', accountId: c.accountId } : null;
        },
        account: (_: unknown, { id }: { id: string }) => (account(id) ? accountInA(account(id)!) : null),
      },
      Account: { __resolveReference: ({ id }: { id: string }) => (account(id) ? accountInA(account(id)!) : null) },
      Chat: {
        __resolveReference: ({ id }: { id: string }) => (chat(id) ? { __typename: 'Chat', id, accountId: chat(id)!.accountId } : null),
        account: ({ accountId }: { accountId: string }) => (account(accountId) ? accountInA(account(accountId)!) : null),
      },
    },
    b: {
      Query: {
        node: (_: unknown, { id }: { id: string }) => {
          const a = account(id);
          if (a) return { __typename: 'Account', id: 'never', chatIds: chatIdsOf(a.id) };
          const c = chat(id);
          return c ? chatInB(c) : null;
        },
        chat: (_: unknown, { id }: { id: string }) => (chat(id) ? chatInB(chat(id)!) : null),
      },
      Account: {
        __resolveReference: ({ id }: { id: string }) => (account(id) ? { __typename: 'Account', id, chatIds: chatIdsOf(id) } : null),
        chats: ({ chatIds }: { chatIds: string[] }) => chats.filter((c) => chatIds.includes(c.id)).map(chatInB),
      },
      Chat: { __resolveReference: ({ id }: { id: string }) => (chat(id) ? chatInB(chat(id)!) : null) },
    },
  };
};
