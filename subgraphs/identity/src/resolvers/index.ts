import { AuditEvent } from './AuditEvent.js';
import { DataExport, ErasureStatus } from './Erasure.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import type { Resolvers } from './resolvers-types.js';
import { User } from './User.js';

export const resolvers: Resolvers = { Query, Mutation, User, AuditEvent, ErasureStatus, DataExport };
