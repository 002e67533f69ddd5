-- unconditional, every column clear, no filter
-- grant: 姓名=clear, 身份证号=clear, 手机号=clear, 区县=clear, 出生日期=clear, 月收入=clear
-- output: 姓名(clear), 身份证号(clear), 手机号(clear), 区县(clear), 出生日期(clear), 月收入(clear)
SELECT "_row", "c001", "c002", "c003", "c004", "c005", "c006" FROM "ds_0001" ORDER BY _row ASC LIMIT $1::int;
-- values: [1000]

-- conditional: provider row filter, masked / pseudonym / generalized / hidden columns
-- grant: 姓名=masked, 身份证号=pseudonym, 手机号=hidden, 区县=clear, 出生日期=generalized, 月收入=clear; row filter: 区县=in.(和平区,沈河区)&月收入=gte.3000
-- output: 姓名(masked), 身份证号(pseudonym), 区县(clear), 出生日期(generalized), 月收入(clear)
SELECT "_row", "c001", "c002", "c004", "c005", "c006" FROM "ds_0001" WHERE ("c004" = ANY($1::text[]) AND "c006" >= $2::numeric) ORDER BY _row ASC LIMIT $3::int;
-- values: [["和平区","沈河区"],"3000",1000]

-- caller filter, select and order, next page after a keyset cursor
-- grant: 姓名=clear, 身份证号=clear, 手机号=clear, 区县=clear, 出生日期=clear, 月收入=clear; row filter: 区县=eq.和平区
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
