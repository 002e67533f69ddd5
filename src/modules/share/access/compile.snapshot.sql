-- unconditional, every column clear, no filter
-- grant: 姓名=clear, 身份证号=clear, 手机号=clear, 区县=clear, 出生日期=clear, 月收入=clear, 备注=clear
-- output: 姓名(clear), 身份证号(clear), 手机号(clear), 区县(clear), 出生日期(clear), 月收入(clear), 备注(clear)
SELECT "_row", "c001", "c002", "c003", "c004", "c005", "c006", "c007" FROM "ds_0001" ORDER BY _row ASC LIMIT $1::int;
-- values: [1000]

-- conditional: provider row filter, masked / pseudonym / generalized / redacted / hidden columns
-- grant: 姓名=masked, 身份证号=pseudonym, 手机号=hidden, 区县=clear, 出生日期=generalized, 月收入=clear, 备注=redacted(placeholder); row filter: 区县=in.(和平区,沈河区)&月收入=gte.3000
-- output: 姓名(masked), 身份证号(pseudonym), 区县(clear), 出生日期(generalized), 月收入(clear), 备注(redacted)
SELECT "_row", "c001", "c002", "c004", "c005", "c006", "c007" FROM "ds_0001" WHERE ("c004" = ANY($1::text[]) AND "c006" >= $2::numeric) ORDER BY _row ASC LIMIT $3::int;
-- values: [["和平区","沈河区"],"3000",1000]

-- caller filter, select and order, next page after a keyset cursor
-- grant: 姓名=clear, 身份证号=clear, 手机号=clear, 区县=clear, 出生日期=clear, 月收入=clear, 备注=clear; row filter: 区县=eq.和平区
-- output: 姓名(clear), 月收入(clear)
SELECT "_row", "c001", "c006" FROM "ds_0001" WHERE "c004" = $1::text AND ("c006" < $2::numeric AND "c001"::text LIKE $3 ESCAPE '\') ORDER BY "c006" DESC NULLS FIRST, _row ASC LIMIT $4::int;
-- values: ["和平区","9000","王%",1000]
-- after cursor ["8000.00",41]
SELECT "_row", "c001", "c006" FROM "ds_0001" WHERE "c004" = $1::text AND ("c006" < $2::numeric AND "c001"::text LIKE $3 ESCAPE '\') AND (("c006" < $4::numeric) OR ("c006" = $4::numeric AND _row > $5::bigint)) ORDER BY "c006" DESC NULLS FIRST, _row ASC LIMIT $6::int;
-- values: ["和平区","9000","王%","8000.00",41,1000]

-- encrypted column found through its blind index
-- grant: 姓名=clear, 身份证号=clear
-- output: 姓名(clear)
SELECT "_row", "c001" FROM "ds_0001" WHERE "c002_bi" = ANY($1::text[]) ORDER BY _row ASC LIMIT $2::int;
-- values: [["bi:18"],1000]

-- a kept access context: the first chunk checks its access revisions in its own snapshot
-- grant: 区县=clear, 月收入=clear
-- output: 区县(clear), 月收入(clear)
SELECT "_row", "c004", "c006" FROM "ds_0001" WHERE (SELECT coalesce(sum(rev), 0) FROM access_revisions WHERE scope = ANY($1::text[])) = $2::bigint ORDER BY _row ASC LIMIT $3::int;
-- values: [["ds-id","key:key-id"],7,1000]

-- verify: verify columns and a provider row filter
-- grant: 姓名=verify, 出生日期=verify, 区县=hidden; row filter: 区县=eq.和平区
-- match: {"姓名":"王小明","出生日期":"1980-01-01"}
SELECT EXISTS (SELECT 1 FROM "ds_0001" WHERE "c004" = $1::text AND ("c001" = $2::text AND "c005" = $3::date)) AS found;
-- values: ["和平区","王小明","1980-01-01"]

-- verify: an encrypted column verified through its blind index
-- grant: 身份证号=verify
-- match: {"身份证号":"21010219800101001X"}
SELECT EXISTS (SELECT 1 FROM "ds_0001" WHERE TRUE AND "c002_bi" = ANY($1::text[])) AS found;
-- values: [["bi:18"]]
