"""Smoke test: Chromium opens the login page and finds the form."""

from playwright.sync_api import expect


def test_the_login_page_shows_a_username_and_password_form(page, live_server, screenshot):
    page.goto(live_server.url + "/accounts/login/")
    form = page.locator("form").filter(has=page.locator('input[name="password"]'))
    expect(form.locator('input[name="username"]')).to_be_visible()
    expect(form.locator('input[name="password"]')).to_have_attribute("type", "password")
    expect(form.locator('[type="submit"]')).to_be_visible()
    screenshot("login-form")


def test_a_member_logs_in_through_the_form(logged_in_page, owner):
    page = logged_in_page(owner)
    assert "/accounts/login/" not in page.url
