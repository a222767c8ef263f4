/**
 * Users' configurations. Owner-only by construction: every key starts with the owner's user id,
 * so another user's configuration is simply not found.
 *
 * Names are unique per user through a claim item (`NAME#<normalised name>` → config id), written
 * conditionally. Without transactions a crash can leave a claim whose configuration no longer
 * carries the name; such a stale claim is detected and taken over instead of blocking the name.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Configuration, ConfigurationInput } from '../contract/index.ts';
import type { StoreContext } from './context.ts';
import { asRecord, rowName, StoreDataError, stringField } from './decode.ts';
import { configurationKey, configurationNameKey, userPartition } from './keys.ts';

/** At most this many configurations per user (the contract's list maximum). */
const MAX_CONFIGURATIONS = 50;

type ConfigurationWrite =
  | { readonly ok: true; readonly configuration: Configuration }
  | { readonly ok: false; readonly reason: 'not-found' | 'name-taken' | 'limit-reached' };

/** Case and surrounding whitespace do not make a different name. */
const nameKey = (name: string): string => name.trim().normalize('NFC').toLowerCase();

const isConditionFailure = (error: unknown): boolean => error instanceof ConditionalCheckFailedException;

/** A configuration row as the handlers see it (decode.ts: a row of another shape is a StoreDataError). */
function decodeConfiguration(value: unknown): Configuration {
  const raw = asRecord(value, 'configuration', 'row');
  const row = rowName(raw);
  const tickers = raw.tickers;
  if (!Array.isArray(tickers) || !tickers.every((ticker): ticker is string => typeof ticker === 'string')) {
    throw new StoreDataError(row, 'tickers is not a list of strings');
  }
  return {
    config_id: stringField(raw, 'config_id', row),
    name: stringField(raw, 'name', row),
    tickers,
    created_at: stringField(raw, 'created_at', row),
    updated_at: stringField(raw, 'updated_at', row),
  };
}

/** The configuration id a name claim points to (decode.ts). */
const claimHolder = (value: unknown): string => {
  const raw = asRecord(value, 'name claim', 'row');
  return stringField(raw, 'config_id', rowName(raw));
};

async function getConfiguration(ctx: StoreContext, userId: string, configId: string): Promise<Configuration | null> {
  const { Item } = await ctx.documents.send(
    new GetCommand({ TableName: ctx.tableName, Key: configurationKey(userId, configId), ConsistentRead: true }),
  );
  return Item === undefined ? null : decodeConfiguration(Item);
}

async function listConfigurations(ctx: StoreContext, userId: string): Promise<Configuration[]> {
  const { Items } = await ctx.documents.send(
    new QueryCommand({
      TableName: ctx.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': userPartition(userId), ':prefix': 'CONFIG#' },
      ConsistentRead: true,
    }),
  );
  return (Items ?? []).map(decodeConfiguration).sort((a, b) => a.created_at.localeCompare(b.created_at));
}

/** Claims `name` for `configId`; false when another live configuration of the user holds it. */
async function claimName(ctx: StoreContext, userId: string, name: string, configId: string): Promise<boolean> {
  const key = configurationNameKey(userId, nameKey(name));
  try {
    await ctx.documents.send(
      new PutCommand({
        TableName: ctx.tableName,
        Item: { ...key, config_id: configId },
        ConditionExpression: 'attribute_not_exists(pk) OR config_id = :me',
        ExpressionAttributeValues: { ':me': configId },
      }),
    );
    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
  const { Item: claim } = await ctx.documents.send(
    new GetCommand({ TableName: ctx.tableName, Key: key, ConsistentRead: true }),
  );
  // Gone since the put failed (released meanwhile): the claim is free again.
  const holderId = claim === undefined ? '' : claimHolder(claim);
  const holder = holderId === '' ? null : await getConfiguration(ctx, userId, holderId);
  if (holder !== null && nameKey(holder.name) === nameKey(name)) return false;
  // Stale claim (its configuration was deleted or renamed mid-way): take it over, unless someone
  // else did in the meantime.
  try {
    await ctx.documents.send(
      new PutCommand({
        TableName: ctx.tableName,
        Item: { ...key, config_id: configId },
        ConditionExpression: 'attribute_not_exists(pk) OR config_id = :stale',
        ExpressionAttributeValues: { ':stale': holderId },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

async function releaseName(ctx: StoreContext, userId: string, name: string, configId: string): Promise<void> {
  try {
    await ctx.documents.send(
      new DeleteCommand({
        TableName: ctx.tableName,
        Key: configurationNameKey(userId, nameKey(name)),
        ConditionExpression: 'config_id = :me',
        ExpressionAttributeValues: { ':me': configId },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

async function createConfiguration(
  ctx: StoreContext,
  userId: string,
  input: ConfigurationInput,
): Promise<ConfigurationWrite> {
  // Checked before writing; two creates racing at the limit may end one over it, which is harmless.
  const existing = await listConfigurations(ctx, userId);
  if (existing.length >= MAX_CONFIGURATIONS) return { ok: false, reason: 'limit-reached' };
  const configId = randomUUID();
  if (!(await claimName(ctx, userId, input.name, configId))) return { ok: false, reason: 'name-taken' };
  const stamp = new Date(ctx.now()).toISOString();
  const configuration: Configuration = {
    config_id: configId,
    name: input.name,
    tickers: [...input.tickers],
    created_at: stamp,
    updated_at: stamp,
  };
  await ctx.documents.send(
    new PutCommand({ TableName: ctx.tableName, Item: { ...configurationKey(userId, configId), ...configuration } }),
  );
  return { ok: true, configuration };
}

async function replaceConfiguration(
  ctx: StoreContext,
  userId: string,
  configId: string,
  input: ConfigurationInput,
): Promise<ConfigurationWrite> {
  const current = await getConfiguration(ctx, userId, configId);
  if (current === null) return { ok: false, reason: 'not-found' };
  const renamed = nameKey(current.name) !== nameKey(input.name);
  if (renamed && !(await claimName(ctx, userId, input.name, configId))) return { ok: false, reason: 'name-taken' };
  const configuration: Configuration = {
    ...current,
    name: input.name,
    tickers: [...input.tickers],
    updated_at: new Date(Math.max(ctx.now(), Date.parse(current.updated_at) + 1)).toISOString(),
  };
  try {
    await ctx.documents.send(
      new PutCommand({
        TableName: ctx.tableName,
        Item: { ...configurationKey(userId, configId), ...configuration },
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // Deleted meanwhile: give the new name back.
    if (renamed) await releaseName(ctx, userId, input.name, configId);
    return { ok: false, reason: 'not-found' };
  }
  if (renamed) await releaseName(ctx, userId, current.name, configId);
  return { ok: true, configuration };
}

async function deleteConfiguration(ctx: StoreContext, userId: string, configId: string): Promise<boolean> {
  try {
    const { Attributes } = await ctx.documents.send(
      new DeleteCommand({
        TableName: ctx.tableName,
        Key: configurationKey(userId, configId),
        ConditionExpression: 'attribute_exists(pk)',
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (Attributes !== undefined) await releaseName(ctx, userId, String(Attributes.name), configId);
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export type { ConfigurationWrite };
export {
  createConfiguration,
  deleteConfiguration,
  getConfiguration,
  listConfigurations,
  MAX_CONFIGURATIONS,
  replaceConfiguration,
};
