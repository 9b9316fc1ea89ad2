// Static files (http.static) through the real server: content types, ETag and
// 304, Cache-Control, index.html, redirects to the folder, HEAD; and what is
// never served: listings, "..", encoded "..", symlinks out of the folder,
// hidden files, NUL, other methods.

#include "http/static_files.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "http_fixture.h"
#include "raw_connection.h"

namespace storeflow::http::testing {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public HttpTest {
 protected:
  void SetUp() override {
    HttpTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    work_ = fs::temp_directory_path() / ("storeflow-static-" + std::to_string(getpid()) + "-" +
                                         std::to_string(std::random_device()()));
    site_ = work_ / "site";
    fs::create_directories(site_ / "css");
    fs::create_directories(site_ / "empty");
    Write(site_ / "index.html", "<!doctype html><title>shop</title>");
    Write(site_ / "css" / "site.css", "body { color: teal; }");
    Write(site_ / "app.JS", "console.log('hi');");
    Write(site_ / "blob.xyz", std::string("\0\1\2", 3));
    Write(site_ / ".env", "SECRET=1");
    Write(work_ / "secret.txt", "outside");
    fs::create_symlink(work_ / "secret.txt", site_ / "leak.txt");
    fs::create_symlink(work_, site_ / "up");
    fs::create_symlink(site_ / "css" / "site.css", site_ / "inside.css");
  }
  void TearDown() override {
    HttpTest::TearDown();
    std::error_code ignored;
    fs::remove_all(work_, ignored);
  }

  static void Write(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }

  void StartWithSite(std::string cache_control = "no-cache") {
    surface_options_.statics = {{"/shop/", site_.string(), std::move(cache_control)}};
    StartServer();
  }

  // The status line and head of a raw request for `target`.
  std::string Raw(const std::string& target) {
    RawConnection c(port_);
    EXPECT_TRUE(c.connected());
    EXPECT_TRUE(c.Send(GetRequest(target, "Connection: close\r\n")));
    return c.Read(std::chrono::seconds(5));
  }

  fs::path work_;
  fs::path site_;
};

TEST_P(StaticFilesTest, ServesFilesWithTypeETagAndCacheControl) {
  StartWithSite("public, max-age=60");
  Reply index = Send(port_, "GET", "/shop/");
  ASSERT_EQ(index.status, 200) << index.body;
  EXPECT_EQ(index.body, "<!doctype html><title>shop</title>");
  EXPECT_EQ(index.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.header("Cache-Control"), "public, max-age=60");
  EXPECT_EQ(index.header("X-Content-Type-Options"), "nosniff");
  EXPECT_FALSE(index.header("Last-Modified").empty());

  Reply css = Send(port_, "GET", "/shop/css/site.css?v=3");
  ASSERT_EQ(css.status, 200);
  EXPECT_EQ(css.body, "body { color: teal; }");
  EXPECT_EQ(css.header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(Send(port_, "GET", "/shop/app.JS").header("Content-Type"),
            "text/javascript; charset=utf-8");
  Reply blob = Send(port_, "GET", "/shop/blob.xyz");
  EXPECT_EQ(blob.header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(blob.body, std::string("\0\1\2", 3));
  // A symlink that stays inside the folder is served.
  EXPECT_EQ(Send(port_, "GET", "/shop/inside.css").body, "body { color: teal; }");

  // ETag and If-None-Match: 304 without a body, strong or weak, one of a list, or *.
  const std::string etag = css.header("ETag");
  ASSERT_GE(etag.size(), 3u);
  EXPECT_EQ(etag.front(), '"');
  for (const std::string& tag : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    Reply again = Send(port_, "GET", "/shop/css/site.css", "", {{"If-None-Match", tag}});
    EXPECT_EQ(again.status, 304) << tag;
    EXPECT_EQ(again.body, "") << tag;
    EXPECT_EQ(again.header("ETag"), etag);
    EXPECT_EQ(again.header("Cache-Control"), "public, max-age=60");
  }
  EXPECT_EQ(Send(port_, "GET", "/shop/css/site.css", "", {{"If-None-Match", "\"stale\""}}).status,
            200);
  // A changed file has another ETag.
  Write(site_ / "css" / "site.css", "body { color: navy; margin: 0; }");
  Reply changed = Send(port_, "GET", "/shop/css/site.css", "", {{"If-None-Match", etag}});
  EXPECT_EQ(changed.status, 200);
  EXPECT_NE(changed.header("ETag"), etag);
  EXPECT_EQ(changed.body, "body { color: navy; margin: 0; }");

  // HEAD: the same head (Content-Length of the file), no body.
  const std::string head = [&] {
    RawConnection c(port_);
    EXPECT_TRUE(c.Send("HEAD /shop/css/site.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    return c.Read(std::chrono::seconds(5));
  }();
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  EXPECT_NE(head.find("Content-Length: 32\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.substr(head.find("\r\n\r\n") + 4), "") << head;
}

TEST_P(StaticFilesTest, FoldersGetTheirIndexOrARedirectNeverAListing) {
  StartWithSite();
  Reply bare = Send(port_, "GET", "/shop");
  EXPECT_EQ(bare.status, 301);
  EXPECT_EQ(bare.header("Location"), "/shop/");
  Reply folder = Send(port_, "GET", "/shop/css?x=1");
  EXPECT_EQ(folder.status, 301);
  EXPECT_EQ(folder.header("Location"), "/shop/css/?x=1");
  // A folder without index.html: 404, not a listing.
  for (const char* path : {"/shop/css/", "/shop/empty/"}) {
    Reply r = Send(port_, "GET", path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.json()["error"]["code"], "not_found") << path;
    EXPECT_EQ(r.body.find("site.css"), std::string::npos) << r.body;
  }
  EXPECT_EQ(Send(port_, "GET", "/shop/missing.html").status, 404);
  // GET and HEAD only.
  Reply post = Send(port_, "POST", "/shop/index.html", "{}");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.header("Allow"), "GET, HEAD");
  // Other paths are not the mount's.
  EXPECT_EQ(Send(port_, "GET", "/shopping/index.html").status, 404);
}

TEST_P(StaticFilesTest, NothingOutsideTheFolderNorHiddenIsServed) {
  StartWithSite();
  for (const std::string target :
       {"/shop/../secret.txt", "/shop/%2e%2e/secret.txt", "/shop/%2E%2E%2Fsecret.txt",
        "/shop/css/..%2f..%2fsecret.txt", "/shop/leak.txt", "/shop/up/secret.txt", "/shop/.env",
        "/shop/%2eenv", "/shop/./index.html", "/shop/..%5csecret.txt"}) {
    const std::string reply = Raw(target);
    EXPECT_EQ(reply.rfind("HTTP/1.1 404", 0), 0u) << target << "\n" << reply;
    EXPECT_EQ(reply.find("outside"), std::string::npos) << target;
    EXPECT_EQ(reply.find("SECRET"), std::string::npos) << target;
  }
  // A NUL, decoded from %00: 400 (the server may refuse the target before).
  const std::string nul = Raw("/shop/index.html%00.css");
  EXPECT_EQ(nul.rfind("HTTP/1.1 400", 0), 0u) << nul;
}

TEST_P(StaticFilesTest, AMissingFolderOrABadPathFailsTheStart) {
  MakeEngine();
  surface_options_.statics = {{"/shop/", (work_ / "nope").string(), "no-cache"}};
  Surface surface(*engine_, WebhookSources(), surface_options_);
  Status s = surface.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("http.static[0] (/shop/)"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("nope"), std::string::npos) << s.message();
  surface.Stop();

  EXPECT_FALSE(CheckMountPath("/shop").ok());
  EXPECT_FALSE(CheckMountPath("shop/").ok());
  EXPECT_FALSE(CheckMountPath("/a/../b/").ok());
  EXPECT_FALSE(CheckMountPath("/api/v1/").ok());
  EXPECT_FALSE(CheckMountPath("/{x}/").ok());
  EXPECT_TRUE(CheckMountPath("/").ok());
  EXPECT_TRUE(CheckMountPath("/shop/v2/").ok());
  EXPECT_EQ(ContentTypeFor("a/b.SVG"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("noext"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("dir.d/file"), "application/octet-stream");
}

STOREFLOW_INSTANTIATE_STORE_TESTS(StaticFilesTest);

}  // namespace
}  // namespace storeflow::http::testing
