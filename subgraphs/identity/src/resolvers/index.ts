import type { GraphQLResolverMap } from '@voiceassist/subgraph-server';
import type { IdentityContext } from '../context.js';
import { AuditEvent } from './AuditEvent.js';
import { DataExport, ErasureStatus } from './Erasure.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import { User } from './User.js';

export const resolvers = { Query, Mutation, User, AuditEvent, ErasureStatus, DataExport } as unknown as GraphQLResolverMap<IdentityContext>;
