#include "database/statement.hpp"

#include <fmt/format.h>

#include "nas_sync/error.hpp"

namespace nas_sync {

void throw_sqlite_error(sqlite3* db, int rc, const std::string& context) {
    const int primary = rc & 0xff;
    const auto code = (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) ? ErrorCode::corrupt : ErrorCode::io;
    throw Error(code, fmt::format("{}: {} (SQLite code {})", context, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc));
}

void exec(sqlite3* db, const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        const std::string text = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        const auto code = ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) ? ErrorCode::corrupt : ErrorCode::io;
        throw Error(code, fmt::format("SQL failed: {} (in: {})", text, sql.substr(0, 200)));
    }
}

Statement::Statement(sqlite3* db, const std::string& sql) : db_(db), sql_(sql) {
    const int rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_,
                                      nullptr);
    if (rc != SQLITE_OK) throw_sqlite_error(db, rc, "cannot prepare '" + sql.substr(0, 200) + "'");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), sql_(std::move(other.sql_)) {}

Statement& Statement::bind(int index, const Value& value) { return bind_value(index, value, SQLITE_TRANSIENT); }
Statement& Statement::bind_borrowed(int index, const Value& value) { return bind_value(index, value, SQLITE_STATIC); }

Statement& Statement::bind_value(int index, const Value& value, sqlite3_destructor_type lifetime) {
    int rc = SQLITE_OK;
    switch (value.index()) {
        case 0: rc = sqlite3_bind_null(stmt_, index); break;
        case 1: rc = sqlite3_bind_int64(stmt_, index, std::get<std::int64_t>(value)); break;
        case 2: rc = sqlite3_bind_double(stmt_, index, std::get<double>(value)); break;
        case 3: {
            const auto& s = std::get<std::string>(value);
            rc = sqlite3_bind_text64(stmt_, index, s.data(), s.size(), lifetime, SQLITE_UTF8);
            break;
        }
        case 4: {
            const auto& b = std::get<Blob>(value);
            // An empty vector's data() may be null, which SQLite would bind as NULL.
            rc = b.empty() ? sqlite3_bind_zeroblob(stmt_, index, 0)
                           : sqlite3_bind_blob64(stmt_, index, b.data(), b.size(), lifetime);
            break;
        }
    }
    if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "cannot bind a value");
    return *this;
}

Statement& Statement::bind(int index, const std::string& text) {
    const int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK) throw_sqlite_error(db_, rc, "cannot bind a value");
    return *this;
}
Statement& Statement::bind(int index, std::int64_t number) { return bind(index, Value(number)); }

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    const int saved = rc;
    sqlite3_reset(stmt_);
    throw_sqlite_error(db_, saved, "SQL failed (" + sql_.substr(0, 200) + ")");
}

void Statement::run() {
    while (step()) {
    }
    reset();
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }

Value Statement::value(int column) const {
    Value v;
    read_value(column, v);
    return v;
}

void Statement::read_value(int column, Value& into) const {
    switch (sqlite3_column_type(stmt_, column)) {
        case SQLITE_INTEGER: into = static_cast<std::int64_t>(sqlite3_column_int64(stmt_, column)); break;
        case SQLITE_FLOAT: into = sqlite3_column_double(stmt_, column); break;
        case SQLITE_TEXT: {
            auto* text = std::get_if<std::string>(&into);
            read_text(column, text ? *text : into.emplace<std::string>());
            break;
        }
        case SQLITE_BLOB: {
            const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
            auto* blob = std::get_if<Blob>(&into);
            (blob ? *blob : into.emplace<Blob>()).assign(p, p + sqlite3_column_bytes(stmt_, column));
            break;
        }
        default: into = Null{};
    }
}

std::string Statement::text(int column) const {
    std::string s;
    read_text(column, s);
    return s;
}

void Statement::read_text(int column, std::string& into) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (p)
        into.assign(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
    else
        into.clear();
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }
bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

bool Statement::is_text(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_TEXT; }

StatementCache::Lease StatementCache::use(const std::string& sql) {
    auto& slot = cache_[sql];
    if (!slot) slot = std::make_unique<Statement>(db_, sql);
    return Lease(*slot);
}

std::int64_t query_integer(sqlite3* db, const std::string& sql, std::int64_t fallback) {
    Statement s(db, sql);
    if (!s.step() || s.is_null(0)) return fallback;
    return s.integer(0);
}

}  // namespace nas_sync
