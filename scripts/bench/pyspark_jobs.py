"""The cluster bench's PySpark side: the same computations written with
Spark's own DataFrame operators, run through the same Spark Connect server
(the same executors) as wayang-rs's cluster mode.

    python pyspark_jobs.py sc://HOST:PORT wordcount FILE
    python pyspark_jobs.py sc://HOST:PORT partner FILE

Runs the job twice (the first warms the session up) and prints one line per
run: `ms=<elapsed> rows=<result rows> checksum=<sum of counts or cents>`.
The whole result is collected to the client, as wayang's collect does.
"""
import sys
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def word_count(spark, path):
    # wayang_examples::tokenize: lowercase, split on anything that is not a
    # letter or a digit, drop empty words.
    words = spark.read.text(path).select(
        F.explode(F.split(F.lower(F.col("value")), r"[^\p{L}\p{N}]+")).alias("w")
    )
    counts = words.where(F.col("w") != "").groupBy("w").count().collect()
    return len(counts), sum(row["count"] for row in counts)


def partner(spark, path, k=3):
    # The partner job: valid lines only (5 fields, an ISO month, numeric
    # ids, a category, an amount with at most two decimals), spending per
    # customer, then per month and category with at least k customers.
    fields = F.split(F.col("value"), ",")
    lines = spark.read.text(path).where(F.size(fields) == 5).select(
        F.trim(fields[0]).alias("tx"),
        F.trim(fields[1]).alias("ts"),
        F.trim(fields[2]).alias("customer"),
        F.trim(fields[3]).alias("category"),
        F.trim(fields[4]).alias("amount"),
    )
    valid = lines.where(
        F.col("tx").rlike(r"^[0-9]+$")
        & F.col("ts").rlike(r"^[0-9]{4}-(0[1-9]|1[0-2])")
        & F.col("customer").rlike(r"^[0-9]+$")
        & (F.col("category") != "")
        & F.col("amount").rlike(r"^[0-9]+(\.[0-9]{1,2})?$")
    )
    cents = (F.col("amount").cast("decimal(20,2)") * 100).cast("long")
    per_customer = valid.groupBy(
        F.substring("ts", 1, 7).alias("month"), "category", "customer"
    ).agg(F.sum(cents).alias("cents"))
    cells = (
        per_customer.groupBy("month", "category")
        .agg(F.sum("cents").alias("cents"), F.count("*").alias("customers"))
        .where(F.col("customers") >= k)
        .collect()
    )
    return len(cells), sum(row["cents"] for row in cells)


def main():
    remote, job, path = sys.argv[1:4]
    spark = SparkSession.builder.remote(remote).getOrCreate()
    run = {"wordcount": word_count, "partner": partner}[job]
    for _ in range(2):
        started = time.perf_counter()
        rows, checksum = run(spark, path)
        elapsed = (time.perf_counter() - started) * 1000
        print(f"ms={elapsed:.0f} rows={rows} checksum={checksum}", flush=True)


if __name__ == "__main__":
    main()
