import { accountsSection } from './accounts.ts';
import { assignmentsSection } from './assignments.ts';
import { clientsSection } from './clients.ts';
import { groupsSection } from './groups.ts';
import { permissionSetsSection } from './permission-sets.ts';
import { policiesSection } from './policies.ts';
import type { Section } from './section.ts';
import { usersSection } from './users.ts';

/**
 * The sections of the state file, in the order their changes run: a section may refer to what an
 * earlier one creates (groups name users). A new section is one module and one line here.
 */
export const sections: readonly Section<unknown>[] = [
  usersSection,
  groupsSection,
  accountsSection,
  policiesSection,
  permissionSetsSection,
  assignmentsSection,
  clientsSection,
] as readonly Section<unknown>[];
