/**
 * Host tools under least privilege: permission flags and per-agent policies, resource guards for
 * paths and URLs, built-in file and fetch tools, approvals by a person, and user-created tools.
 */
export { Permission, PERMISSION_NAMES, definePermissionPolicy, isPermissionPolicy, isPermissionSet, permissionNames, permissionPolicyFromPolicy } from './permissions.js';
export type { PermissionDecision, PermissionPolicy, PermissionPolicyInput, PermissionSet, Resource } from './permissions.js';
export { MAX_PATH_LENGTH, MAX_URL_LENGTH, checkUrl, confinePath, isPathWithin, normalizeVirtualPath, parseHostRule } from './guards.js';
export type { GuardResult, HostRule, HttpAllowance } from './guards.js';
export { assertToolName, defineTool, isToolName } from './define.js';
export type { ApprovalRule, Tool, ToolHandlerContext, ToolInput } from './define.js';
export type { JsonSchema, ParamsValidator } from './schema.js';
export { createToolRegistry } from './registry.js';
export type { BoundToolDispatcher, ForAgentOptions, RevokeScope, ToolCallContext, ToolDescription, ToolRegistry, ToolRegistryOptions } from './registry.js';
export type { CheckedRateLimit, ToolRateLimit } from './rate-limits.js';
export type { Revocable, RevocationEntry, RevocationScope } from './revocations.js';
export { MAX_EVIDENCE_STRING } from './evidence.js';
export { FETCH_TOOL_NAME, FILE_TOOL_NAMES } from './builtins.js';
export type { FetchResult } from './builtins.js';
export { createVirtualFileSystem } from './vfs.js';
export type { DirEntry, FileStat, VirtualFileSystem, VirtualFileSystemOptions } from './vfs.js';
export { createApprovalManager } from './approvals.js';
export type { ApprovalAnswer, ApprovalCall, ApprovalManager, ApprovalManagerOptions, ApprovalRecord, ApprovalRequest, ApprovalStatus, ApprovalWaitContext, DecideResult } from './approvals.js';
export { DYNAMIC_TOOL_GLOBALS, createDynamicToolStore, prepareDynamicToolModule } from './dynamic.js';
export type { CodeValidator, ConsumeQuota, DynamicToolInput, DynamicToolRecord, DynamicToolRunContext, DynamicToolRunner, DynamicToolStore, DynamicToolStoreOptions } from './dynamic.js';
export { canonicalJson, sha256Hex } from './json.js';
