#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>

#include <chrono>
#include <utility>
#include <vector>

#include "workloads/workload.hpp"

namespace bench {

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The tables Prisma makes for users, their posts, tags, likes (@@id, no
// updatedAt) and the posts' tags (_PostToTag): N records, a quarter each in
// Post, Like and _PostToTag, the rest in User and Tag. K changes: half
// retitled posts, half tag links moved (a link deleted, another made).
class Prisma final : public Workload {
public:
    const char* schema_sql() const override {
        return R"(
CREATE TABLE "User" ("id" TEXT NOT NULL PRIMARY KEY, "email" TEXT NOT NULL, "name" TEXT, "updatedAt" DATETIME NOT NULL);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE TABLE "Post" ("id" TEXT NOT NULL PRIMARY KEY, "title" TEXT NOT NULL, "body" TEXT, "authorId" TEXT NOT NULL,
  "updatedAt" DATETIME NOT NULL,
  CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE "Tag" ("id" TEXT NOT NULL PRIMARY KEY, "name" TEXT NOT NULL, "updatedAt" DATETIME NOT NULL);
CREATE TABLE "Like" ("userId" TEXT NOT NULL, "postId" TEXT NOT NULL, "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY ("userId", "postId"),
  CONSTRAINT "Like_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
  CONSTRAINT "Like_postId_fkey" FOREIGN KEY ("postId") REFERENCES "Post" ("id") ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE "_PostToTag" ("A" TEXT NOT NULL, "B" TEXT NOT NULL,
  CONSTRAINT "_PostToTag_A_fkey" FOREIGN KEY ("A") REFERENCES "Post" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT "_PostToTag_B_fkey" FOREIGN KEY ("B") REFERENCES "Tag" ("id") ON DELETE CASCADE ON UPDATE CASCADE);
CREATE UNIQUE INDEX "_PostToTag_AB_unique" ON "_PostToTag"("A", "B");
CREATE INDEX "_PostToTag_B_index" ON "_PostToTag"("B");
CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "migration_name" TEXT NOT NULL);
CREATE TABLE _bench_writes(n INTEGER PRIMARY KEY, at TEXT);
)";
    }

    nas_sync::PluginSection discovery() const override { return {.plugin = "prisma", .key = "discovery"}; }

    void fill(SQLite::Database& db, int rows) override {
        std::mt19937_64 rng(42);
        const int quarter = std::max(1, rows / 4);
        const int tags = std::max(1, rows / 40);
        const int users = std::max(1, rows - 3 * quarter - tags);
        SQLite::Transaction tx(db);
        {
            SQLite::Statement s(db, "INSERT INTO \"User\" VALUES (?, ?, ?, 1767225600000)");
            for (int i = 0; i < users; ++i) {
                users_.push_back(uuid(rng));
                s.bind(1, users_.back());
                s.bind(2, fmt::format("user{}@example.com", i));
                s.bind(3, text(rng, 30));
                s.exec();
                s.reset();
            }
        }
        {
            SQLite::Statement s(db, "INSERT INTO \"Tag\" VALUES (?, ?, 1767225600000)");
            for (int i = 0; i < tags; ++i) {
                tags_.push_back(uuid(rng));
                s.bind(1, tags_.back());
                s.bind(2, text(rng, 12));
                s.exec();
                s.reset();
            }
        }
        {
            SQLite::Statement s(db, "INSERT INTO \"Post\" VALUES (?, ?, ?, ?, 1767225600000)");
            for (int i = 0; i < quarter; ++i) {
                posts_.push_back(uuid(rng));
                s.bind(1, posts_.back());
                s.bind(2, text(rng, 40));
                s.bind(3, text(rng, 160));
                s.bind(4, users_[rng() % users_.size()]);
                s.exec();
                s.reset();
            }
        }
        SQLite::Statement like(db, "INSERT OR IGNORE INTO \"Like\" (\"userId\", \"postId\") VALUES (?, ?)");
        SQLite::Statement link(db, "INSERT OR IGNORE INTO \"_PostToTag\" VALUES (?, ?)");
        for (int i = 0; i < quarter; ++i) {
            like.bind(1, users_[rng() % users_.size()]);
            like.bind(2, posts_[rng() % posts_.size()]);
            like.exec();
            like.reset();
            links_.emplace_back(posts_[rng() % posts_.size()], tags_[rng() % tags_.size()]);
            link.bind(1, links_.back().first);
            link.bind(2, links_.back().second);
            link.exec();
            link.reset();
        }
        tx.commit();
    }

    void load(SQLite::Database& db) override {
        for (auto [sql, into] : {std::pair{"SELECT id FROM \"User\" ORDER BY rowid", &users_},
                                 std::pair{"SELECT id FROM \"Post\" ORDER BY rowid", &posts_},
                                 std::pair{"SELECT id FROM \"Tag\" ORDER BY rowid", &tags_}}) {
            SQLite::Statement s(db, sql);
            while (s.executeStep()) into->push_back(s.getColumn(0).getString());
        }
        SQLite::Statement s(db, "SELECT \"A\", \"B\" FROM \"_PostToTag\" ORDER BY rowid");
        while (s.executeStep()) links_.emplace_back(s.getColumn(0).getString(), s.getColumn(1).getString());
    }

    void change(SQLite::Database& db, int k, std::mt19937_64& rng) override {
        SQLite::Transaction tx(db);
        const std::int64_t now = now_ms();
        SQLite::Statement retitle(db, "UPDATE \"Post\" SET title = ?, \"updatedAt\" = ? WHERE id = ?");
        SQLite::Statement unlink(db, "DELETE FROM \"_PostToTag\" WHERE \"A\" = ? AND \"B\" = ?");
        SQLite::Statement relink(db, "INSERT OR IGNORE INTO \"_PostToTag\" VALUES (?, ?)");
        bool retitle_next = true;  // alternately: half the changes each way
        for (int done = 0; done < k; retitle_next = !retitle_next) {
            if (retitle_next || done + 1 == k) {
                retitle.bind(1, text(rng, 40));
                retitle.bind(2, static_cast<std::int64_t>(now));
                retitle.bind(3, posts_[rng() % posts_.size()]);
                retitle.exec();
                retitle.reset();
                ++done;
                continue;
            }
            // One tag link moved: two records changed, counted as two of K.
            auto& moved = links_[rng() % links_.size()];
            unlink.bind(1, moved.first);
            unlink.bind(2, moved.second);
            unlink.exec();
            unlink.reset();
            moved = {posts_[rng() % posts_.size()], tags_[rng() % tags_.size()]};
            relink.bind(1, moved.first);
            relink.bind(2, moved.second);
            relink.exec();
            relink.reset();
            done += 2;
        }
        tx.commit();
    }

private:
    std::vector<std::string> users_, posts_, tags_;
    std::vector<std::pair<std::string, std::string>> links_;
};

}  // namespace

std::unique_ptr<Workload> make_prisma_workload() { return std::make_unique<Prisma>(); }

}  // namespace bench
